package output

import (
	"io"
	"sync"
)

// DefaultSize is the buffer a Writer holds before it writes on its own:
// about a hundred JSON trade records, well under a pipe's 64 KiB.
const DefaultSize = 32 << 10

// Writer is a buffered writer that several loggers may share: each Write is
// kept whole (records never interleave) and the bytes reach the underlying
// writer in one write system call per Flush, or whenever the buffer would
// overflow. It is how the printer coalesces a burst of trades into few writes
// while a quiet feed still shows each trade at once: whoever writes a record
// that a person should see now calls Flush after it.
//
// All methods are safe for concurrent use. The first error from the
// underlying writer is kept and returned by every later Write and Flush, as
// bufio.Writer does; what was buffered then is lost.
type Writer struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	size int
	err  error
}

// New returns a Writer that writes to w and buffers up to size bytes;
// size <= 0 means DefaultSize.
func New(w io.Writer, size int) *Writer {
	if size <= 0 {
		size = DefaultSize
	}
	return &Writer{w: w, buf: make([]byte, 0, size), size: size}
}

// Write buffers p whole. When p does not fit beside what is buffered, the
// buffer is written first; a p larger than the whole buffer is written
// straight through. It returns len(p) unless an error from the underlying
// writer has been seen.
func (o *Writer) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return 0, o.err
	}
	if len(o.buf)+len(p) > o.size {
		if err := o.flushLocked(); err != nil {
			return 0, err
		}
	}
	if len(p) > o.size {
		if _, err := o.w.Write(p); err != nil {
			o.err = err
			return 0, err
		}
		return len(p), nil
	}
	o.buf = append(o.buf, p...)
	return len(p), nil
}

// Flush writes whatever is buffered to the underlying writer, in one write.
// It is a func() error so that a sink can be handed o.Flush alone.
func (o *Writer) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.flushLocked()
}

// Buffered returns how many bytes wait for the next flush.
func (o *Writer) Buffered() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.buf)
}

// Unwrap returns the underlying writer, so that a caller can ask whether it
// is a terminal.
func (o *Writer) Unwrap() io.Writer { return o.w }

func (o *Writer) flushLocked() error {
	if o.err != nil {
		return o.err
	}
	if len(o.buf) == 0 {
		return nil
	}
	n, err := o.w.Write(o.buf)
	if err == nil && n < len(o.buf) {
		err = io.ErrShortWrite
	}
	o.buf = o.buf[:0]
	if err != nil {
		o.err = err
	}
	return err
}
