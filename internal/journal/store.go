package journal

import "io"

// A stored segment's stream is a zstd frame of raw blocks (RFC 8878, 3.1.1.2):
// the records as they are, behind a 3-byte block header every 128 KiB at
// most. Any zstd decoder reads it at the speed of a copy, so a stored segment
// is read by the same code as a compressed one; writing it costs a copy and
// no compression, which is what a recorder wants while the feed runs.
const (
	// zstdMagic opens a zstd frame (0xFD2FB528, little-endian).
	zstdMagic = "\x28\xb5\x2f\xfd"
	// storedFrameHeader is the frame header descriptor (no content size,
	// not single-segment, no checksum, no dictionary) and the window
	// descriptor of windowSize: exponent 21 − 10 = 11, mantissa 0.
	storedFrameHeader = zstdMagic + "\x00\x58"
	// rawBlockMax is the largest block: min(window, 128 KiB).
	rawBlockMax = 128 << 10
	// blockHeader is a block header's size.
	blockHeader = 3
)

// storeEncoder writes a zstd frame of raw blocks into a chunkBuffer. Its
// blocks end at every Flush, so that a chunk (what Flush makes) ends on a
// block boundary as a compressed segment's do. It keeps no copy: the block
// being written lives in the chunk buffer, behind a header patched when the
// block ends.
type storeEncoder struct {
	out     *chunkBuffer
	started bool // the frame header is written
	open    int  // where in out.b the open block's header is; -1 when none is
}

func newStoreEncoder(out *chunkBuffer) *storeEncoder {
	return &storeEncoder{out: out, open: -1}
}

// Reset begins a new frame. The encoder writes to the chunk buffer it was
// made with; w is for the zstd.Encoder's signature.
func (e *storeEncoder) Reset(io.Writer) {
	e.started, e.open = false, -1
}

// Write adds p to the frame, in raw blocks of at most rawBlockMax bytes.
func (e *storeEncoder) Write(p []byte) (int, error) {
	e.start()
	n := len(p)
	for len(p) > 0 {
		if e.open < 0 {
			e.open = len(e.out.b)
			e.out.b = append(e.out.b, 0, 0, 0)
		}
		k := min(len(p), rawBlockMax-(len(e.out.b)-e.open-blockHeader))
		e.out.b = append(e.out.b, p[:k]...)
		p = p[k:]
		if len(e.out.b)-e.open-blockHeader == rawBlockMax {
			e.end(false)
		}
	}
	return n, nil
}

// Flush ends the open block, if any.
func (e *storeEncoder) Flush() error {
	if e.open >= 0 {
		e.end(false)
	}
	return nil
}

// Close ends the frame: the open block, or an empty one, is marked last.
func (e *storeEncoder) Close() error {
	e.start()
	if e.open < 0 {
		e.open = len(e.out.b)
		e.out.b = append(e.out.b, 0, 0, 0)
	}
	e.end(true)
	return nil
}

func (e *storeEncoder) start() {
	if !e.started {
		e.started = true
		e.out.b = append(e.out.b, storedFrameHeader...)
	}
}

// end writes the open block's header: its size, raw type, and whether it is
// the frame's last.
func (e *storeEncoder) end(last bool) {
	h := uint32(len(e.out.b)-e.open-blockHeader) << 3 // Block_Type 0: raw
	if last {
		h |= 1
	}
	e.out.b[e.open], e.out.b[e.open+1], e.out.b[e.open+2] = byte(h), byte(h>>8), byte(h>>16)
	e.open = -1
}
