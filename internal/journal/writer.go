package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Defaults of Options.
const (
	DefaultSegmentBytes = 32 << 20
	DefaultLevel        = zstd.SpeedDefault
)

// chunkTarget is how many compressed bytes a writer gathers at most before it
// writes them out as a chunk, Flush or not.
const chunkTarget = 256 << 10

// windowSize is the zstd window: how far back a match may reach, and about
// what the encoder and each decoder hold in memory. Frames are about 1.5 KB
// and the feed about one a second, so 2 MiB is some twenty minutes of
// history; on the fake feed's frames 8 MiB compresses only 3 % better, for
// four times the memory. A reader accepts streams that ask for up to
// maxWindow, so that a later writer may choose more.
const (
	windowSize = 2 << 20
	maxWindow  = 8 << 20
)

// Options configure a Writer. The zero value is the defaults.
type Options struct {
	// SegmentBytes: a segment that has reached this size on disk (counting
	// what is compressed but not yet written) is closed before the next
	// record, which begins a new one. Default DefaultSegmentBytes.
	SegmentBytes int64
	// Level is the zstd compression level. Default DefaultLevel.
	Level zstd.EncoderLevel
	// Store writes the records uncompressed, in zstd raw blocks, and marks
	// each segment as stored (Header.Stored): a copy and a CRC a record, no
	// compression. Compact compresses a stored segment once it is closed.
	// A recorder stores, so that journaling a burst of the feed costs
	// little CPU while the feed runs.
	Store bool
	// Writer names the program and its version in each segment's header.
	// Default "rollsniper" and the main module's version.
	Writer string
}

// Writer appends records to a journal: a directory of segments, each one
// zstd stream, rotated by size and by UTC day. It starts no goroutine.
//
// A segment is created by the first record after a rotation, and named after
// that record's time; a record whose UTC day is later than the segment's
// first record's begins a new segment. Records are compressed in memory until
// Flush or Sync writes them (or a chunk's worth has gathered): what was
// appended since the last Flush is lost if the process dies, what was
// appended before the last Sync survives a power loss.
//
// After an error writing a segment, the writer gives that segment up (it
// stays on disk, readable up to the damage) and the next Append begins a new
// one; records appended since the segment's last Flush are lost.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	dir  string
	opts Options
	enc  encoder // a *zstd.Encoder, or a *storeEncoder with Options.Store
	out  chunkBuffer

	f        *os.File // the open segment; nil between segments
	path     string   // its path
	size     int64    // the bytes written to it
	day      time.Time
	lastName time.Time // the name time of the last segment created
	closed   bool
	lock     *os.File // held until Close: see LockName

	rec [recordHeader]byte // a record's header, built in place
}

// encoder is what a Writer compresses (or stores) records with.
type encoder interface {
	io.Writer
	Flush() error
	Close() error
	Reset(io.Writer)
}

// chunkBuffer is where the encoder writes: room for a chunk header, then the
// compressed bytes of the chunk being gathered.
type chunkBuffer struct{ b []byte }

func (c *chunkBuffer) Write(p []byte) (int, error) {
	c.b = append(c.b, p...)
	return len(p), nil
}

func (c *chunkBuffer) payload() int { return len(c.b) - chunkHeader }

func (c *chunkBuffer) reset() { c.b = c.b[:chunkHeader] }

// NewWriter returns a writer of a journal in dir, creating dir if it is
// missing. It creates no segment until the first Append. It holds the
// journal's lock (LockName) until Close: while another writer, in this
// process or another, has dir open, NewWriter fails with ErrLocked.
func NewWriter(dir string, opts Options) (*Writer, error) {
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	if opts.Level == 0 {
		opts.Level = DefaultLevel
	}
	if opts.Writer == "" {
		opts.Writer = defaultWriter()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	w := &Writer{dir: dir, opts: opts, lock: lock, out: chunkBuffer{b: make([]byte, chunkHeader, chunkHeader+chunkTarget+rawBlockMax)}}
	if opts.Store {
		w.enc = newStoreEncoder(&w.out)
		return w, nil
	}
	enc, err := newZstdEncoder(&w.out, opts.Level)
	if err != nil {
		lock.Close()
		return nil, err
	}
	w.enc = enc
	return w, nil
}

// newZstdEncoder returns an encoder of a segment's stream into out.
func newZstdEncoder(out io.Writer, level zstd.EncoderLevel) (*zstd.Encoder, error) {
	enc, err := zstd.NewWriter(out,
		zstd.WithEncoderLevel(level),
		zstd.WithEncoderConcurrency(1), // encode on the caller's goroutine: start none
		zstd.WithEncoderCRC(false),     // each record and each chunk has its own CRC
		zstd.WithWindowSize(windowSize),
	)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return enc, nil
}

// defaultWriter is "rollsniper" and the version of the main module.
func defaultWriter() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return "rollsniper " + bi.Main.Version
	}
	return "rollsniper"
}

// ErrClosed is returned by a Writer's methods after Close.
var ErrClosed = errors.New("journal: writer closed")

// Append adds r to the journal, rotating first when r's UTC day is later
// than the open segment's or the segment has reached Options.SegmentBytes.
// rotated reports that r began a new segment (the previous one, if any, is
// closed): the moment to call Prune. On an error r is not written. Append
// keeps no reference to r.Data: the caller may reuse it at once.
func (w *Writer) Append(r Record) (rotated bool, err error) {
	if w.closed {
		return false, ErrClosed
	}
	if len(r.Data) > MaxData {
		return false, fmt.Errorf("journal: a record of %d bytes is larger than the largest a journal holds (%d)", len(r.Data), MaxData)
	}
	if y := r.Time.Year(); y < 1678 || y > 2261 {
		return false, fmt.Errorf("journal: record time %v is out of range (a journal holds times from 1678 to 2261)", r.Time)
	}
	if w.f != nil && (w.size+int64(w.out.payload()) >= w.opts.SegmentBytes || dayOf(r.Time).After(w.day)) {
		if err := w.closeSegment(); err != nil {
			return false, err
		}
	}
	if w.f == nil {
		if err := w.openSegment(r.Time); err != nil {
			return false, err
		}
		rotated = true
	}
	return rotated, w.encode(r)
}

// encode adds r to the open segment's stream, and writes a chunk when enough
// has gathered.
func (w *Writer) encode(r Record) error {
	h := w.rec[:]
	binary.LittleEndian.PutUint32(h[4:], uint32(len(r.Data)))
	binary.LittleEndian.PutUint64(h[8:], uint64(r.Time.UnixNano()))
	binary.LittleEndian.PutUint64(h[16:], r.Session)
	h[24] = byte(r.Kind)
	h[25] = r.Conn
	sum := crc32.Update(crc32.Checksum(h[4:], castagnoli), castagnoli, r.Data)
	binary.LittleEndian.PutUint32(h[0:], sum)
	// The encoder copies into its block; it writes only to w.out, which
	// cannot fail.
	if _, err := w.enc.Write(h); err != nil {
		return w.fail(err)
	}
	if _, err := w.enc.Write(r.Data); err != nil {
		return w.fail(err)
	}
	if w.out.payload() >= chunkTarget {
		if w.opts.Store {
			// A chunk ends on a block boundary: end the block that the
			// chunk buffer holds the beginning of.
			w.enc.Flush()
		}
		return w.writeChunk()
	}
	return nil
}

// dayOf is the start of t's UTC day. (The zero time is a UTC midnight, so
// truncating to whole days lands on one.)
func dayOf(t time.Time) time.Time {
	return t.UTC().Truncate(24 * time.Hour)
}

// Flush writes everything appended so far to the segment file, ending the
// compressed stream's current block: another process can read it all, and
// it survives this process's death, but not yet a power loss (see Sync).
func (w *Writer) Flush() error {
	if w.closed {
		return ErrClosed
	}
	if w.f == nil {
		return nil
	}
	if err := w.enc.Flush(); err != nil {
		return w.fail(err)
	}
	return w.writeChunk()
}

// Sync is Flush, then an fsync of the segment file: everything appended so
// far survives a power loss. A recorder calls it every second.
func (w *Writer) Sync() error {
	if err := w.Flush(); err != nil || w.f == nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		// After a failed fsync the kernel may have dropped the dirty pages:
		// trying again on the same file proves nothing. Give it up.
		return w.fail(err)
	}
	return nil
}

// Rotate closes the open segment, if any: the next record begins a new one.
func (w *Writer) Rotate() error {
	if w.closed {
		return ErrClosed
	}
	if w.f == nil {
		return nil
	}
	return w.closeSegment()
}

// Segment returns the path of the open segment, "" between segments.
func (w *Writer) Segment() string {
	return w.path
}

// Dir returns the journal's directory.
func (w *Writer) Dir() string {
	return w.dir
}

// Prune is Prune(w.Dir(), maxBytes, w.Segment()): it deletes the oldest
// segments until the journal holds at most maxBytes, never the open one.
func (w *Writer) Prune(maxBytes int64) ([]string, error) {
	return Prune(w.dir, maxBytes, w.path)
}

// Close closes the open segment (ending its stream and syncing it) and the
// writer, and lets another writer open the journal. Calling it again does
// nothing.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	defer w.lock.Close()
	if w.f == nil {
		return nil
	}
	return w.closeSegment()
}

// openSegment creates a segment for a first record received at t, named
// after t, or after the last segment's name time plus a millisecond if that
// is later, and after the next free millisecond if the name is taken: names
// never collide and, within one writer, always grow.
func (w *Writer) openSegment(t time.Time) error {
	name := t.UTC().Truncate(time.Millisecond)
	if !name.After(w.lastName) {
		name = w.lastName.Add(time.Millisecond)
	}
	var f *os.File
	var path string
	for tries := 0; ; tries++ {
		path = filepath.Join(w.dir, SegmentName(name))
		var err error
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || tries == 1000 {
			return fmt.Errorf("journal: %w", err)
		}
		name = name.Add(time.Millisecond)
	}
	w.f, w.path, w.lastName, w.day = f, path, name, dayOf(t)
	n, err := f.Write(appendHeader(nil, name, w.opts.Writer, w.opts.Store))
	w.size = int64(n)
	if err != nil {
		return w.fail(err)
	}
	// Make the new name itself durable, so a power loss cannot leave data
	// synced into a file no directory lists.
	if err := syncDir(w.dir); err != nil {
		return w.fail(err)
	}
	w.out.reset()
	w.enc.Reset(&w.out)
	return nil
}

// closeSegment ends the open segment's stream, writes and syncs it, and
// closes it.
func (w *Writer) closeSegment() error {
	if err := w.enc.Close(); err != nil {
		return w.fail(err)
	}
	if err := w.writeChunk(); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return w.fail(err)
	}
	err := w.f.Close()
	w.f, w.path = nil, ""
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// writeChunk writes the compressed bytes gathered so far as one chunk.
func (w *Writer) writeChunk() error {
	n := w.out.payload()
	if n == 0 {
		return nil
	}
	b := w.out.b
	binary.LittleEndian.PutUint32(b[0:], uint32(n))
	binary.LittleEndian.PutUint32(b[4:], crc32.Update(crc32.Checksum(b[0:4], castagnoli), castagnoli, b[chunkHeader:]))
	written, err := w.f.Write(b)
	w.size += int64(written)
	w.out.reset()
	if err != nil {
		return w.fail(err)
	}
	return nil
}

// fail gives up the open segment after err and returns err, naming it.
func (w *Writer) fail(err error) error {
	path := w.path
	if w.f != nil {
		_ = w.f.Close()
	}
	w.f, w.path = nil, ""
	w.out.reset()
	return fmt.Errorf("journal: %s: %w (the segment is given up; the next record begins a new one)", path, err)
}

// syncDir fsyncs directory dir, so that the entries created in it are
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
