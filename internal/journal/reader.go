package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Damage is a part of a segment a reader skipped because it could not be
// read: a tail torn by a crash or a power loss, garbage after the last
// chunk, or corruption. A reader never fails on damage: it hands out every
// record before it, skips the rest of the segment, and goes on with the next.
type Damage struct {
	// Path is the segment's path.
	Path string
	// Offset is where in the file the skipped part begins.
	Offset int64
	// Bytes is how many bytes were skipped, from Offset to the end of the
	// file. 0 when the file ends where it should but its last record is
	// incomplete.
	Bytes int64
	// Records is how many records of the segment were read before it.
	Records int64
	// Reason says what was wrong.
	Reason string
}

func (d Damage) String() string {
	return fmt.Sprintf("%s: skipped %d bytes from offset %d, after %d records: %s", d.Path, d.Bytes, d.Offset, d.Records, d.Reason)
}

// readBuffer is the initial size of a segment reader's record buffer; it
// grows to hold the largest record met.
const readBuffer = 256 << 10

// SegmentReader reads the records of one segment in order. Segments are
// independent of each other, so a caller may read several at once, each with
// its own SegmentReader. It starts no goroutine.
//
// It reads the file as it was when opened: a segment still being written may
// show a damaged tail.
type SegmentReader struct {
	path   string
	file   *os.File // nil when reading from memory
	hdr    Header
	src    chunkReader
	dec    *zstd.Decoder
	buf    []byte // decompressed bytes; buf[r:w] are not yet handed out
	r, w   int
	eof    bool // the decompressed stream has ended
	n      int64
	damage *Damage
}

// OpenSegment opens the segment file at path and reads its header. It
// returns a *NotJournalError if the file is not a journal, a *VersionError if
// it is one of a format version this package does not read. A segment whose
// header is torn or corrupt opens without error and reads no record: its
// Damage says why.
func OpenSegment(path string) (*SegmentReader, error) {
	s := &SegmentReader{}
	if err := s.open(path); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// open starts reading the file at path, reusing s's buffers.
func (s *SegmentReader) open(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("journal: %w", err)
	}
	s.file = f
	return s.reset(f, info.Size(), path)
}

// reset starts reading a segment of size bytes from r, named path in
// reports, reusing s's buffers and decoder.
func (s *SegmentReader) reset(r io.Reader, size int64, path string) error {
	s.path, s.hdr, s.r, s.w, s.eof, s.n, s.damage = path, Header{}, 0, 0, false, 0, nil
	if s.buf == nil {
		s.buf = make([]byte, readBuffer)
	}
	s.src.reset(r, size, path)
	headLen := int(min(size, maxHeader))
	if err := s.src.fill(headLen); err != nil {
		if s.src.err != nil {
			return fmt.Errorf("journal: %s: %w", path, s.src.err)
		}
		headLen = s.src.w // the file shrank: read what there is
	}
	h, n, err := parseHeader(s.src.slab[:headLen], path)
	if _, damaged := errors.AsType[headerProblem](err); damaged {
		reason := err.Error()
		if size == 0 {
			reason = "the file is empty"
		}
		s.damage = &Damage{Path: path, Bytes: size, Reason: reason + " (the segment was cut short or corrupted before its first record)"}
		s.eof = true
		return nil
	}
	if err != nil {
		return err
	}
	s.hdr = h
	s.src.r, s.src.pos = n, int64(n)
	if s.dec == nil {
		s.dec, err = zstd.NewReader(&s.src,
			zstd.WithDecoderConcurrency(1), // decode on the caller's goroutine: start none
			zstd.WithDecoderMaxWindow(maxWindow),
			zstd.WithDecoderLowmem(false),
		)
	} else {
		err = s.dec.Reset(&s.src)
	}
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Header returns the segment's header; the zero Header when it is damaged.
func (s *SegmentReader) Header() Header {
	return s.hdr
}

// Path returns the segment's path.
func (s *SegmentReader) Path() string {
	return s.path
}

// Damage returns what part of the segment was skipped, or nil if none was. It
// is known once Next has returned io.EOF.
func (s *SegmentReader) Damage() *Damage {
	return s.damage
}

// Next returns the next record. Its Data points into the reader's buffer and
// is valid until the next call to Next or Close: copy it to keep it. At the
// end of the segment, damaged or not, Next returns io.EOF; other errors are
// failures to read the file.
func (s *SegmentReader) Next() (Record, error) {
	for {
		need := recordHeader
		if avail := s.w - s.r; avail >= recordHeader {
			b := s.buf[s.r:s.w]
			n := binary.LittleEndian.Uint32(b[4:])
			if n > MaxData {
				s.corrupt("a record's length is corrupt")
				continue
			}
			need = recordHeader + int(n)
			if avail >= need {
				b = b[:need:need]
				if crc32.Checksum(b[4:], castagnoli) != binary.LittleEndian.Uint32(b) {
					s.corrupt("a record's checksum does not match")
					continue
				}
				s.r += need
				s.n++
				return Record{
					Kind:    Kind(b[24]),
					Conn:    b[25],
					Session: binary.LittleEndian.Uint64(b[16:]),
					Time:    time.Unix(0, int64(binary.LittleEndian.Uint64(b[8:]))).UTC(),
					Data:    b[recordHeader:],
				}, nil
			}
		}
		if s.eof {
			s.end()
			return Record{}, io.EOF
		}
		if err := s.fill(need); err != nil {
			return Record{}, err
		}
	}
}

// end settles the segment's damage once its records are all out: the first
// of what the chunks and the records showed, with the count of records read.
func (s *SegmentReader) end() {
	if d := s.src.damage; d != nil && (s.damage == nil || d.Offset < s.damage.Offset) {
		s.damage = d
	}
	if s.w > s.r && s.damage == nil {
		s.damage = &Damage{Path: s.path, Offset: s.src.size,
			Reason: fmt.Sprintf("the last record is incomplete (%d of its bytes were written)", s.w-s.r)}
	}
	if s.damage != nil {
		s.damage.Records = s.n
	}
	s.r, s.w = 0, 0
}

// fill reads decompressed bytes until buf[r:w] holds at least need of them
// or the stream ends.
func (s *SegmentReader) fill(need int) error {
	if s.r > 0 {
		s.w = copy(s.buf, s.buf[s.r:s.w])
		s.r = 0
	}
	if need > len(s.buf) {
		s.buf = append(s.buf[:s.w], make([]byte, max(need, 2*len(s.buf))-s.w)...)
	}
	for s.w < need && !s.eof {
		n, err := s.dec.Read(s.buf[s.w:])
		s.w += n
		switch {
		case err == nil:
		case s.src.err != nil:
			return fmt.Errorf("journal: %s: %w", s.path, s.src.err)
		case errors.Is(err, io.EOF):
			// The stream ended cleanly: the segment was closed.
			s.eof = true
		case errors.Is(err, io.ErrUnexpectedEOF):
			// The chunks ended inside the stream: the writer did not close
			// the segment (it died, or is still writing), or a chunk was
			// damaged, which the chunk reader has noted.
			s.eof = true
		default:
			s.corrupt("the compressed stream is corrupt: " + err.Error())
		}
	}
	return nil
}

// corrupt notes that the rest of the segment cannot be used, and ends it.
// The damage is placed at the chunk being decompressed, which may be a little
// past the record that showed it: the decoder reads ahead.
func (s *SegmentReader) corrupt(reason string) {
	if s.damage == nil {
		at := s.src.chunkStart
		s.damage = &Damage{Path: s.path, Offset: at, Bytes: s.src.size - at, Reason: reason}
	}
	s.r, s.w, s.eof = 0, 0, true
}

// Close closes the segment file and releases the decoder.
func (s *SegmentReader) Close() error {
	if s.dec != nil {
		s.dec.Close()
		s.dec = nil
	}
	return s.closeFile()
}

func (s *SegmentReader) closeFile() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}

// chunkReader serves a segment's compressed stream: the payloads of its
// chunks, each checked against its CRC before any byte of it is served. At
// the first chunk that is cut short or does not match its CRC it notes the
// damage and ends the stream. It reads the file in large slabs and serves
// each chunk's payload from there: a chunk a second of feed is small, and
// reading each on its own cost more than checking it.
type chunkReader struct {
	f          io.Reader
	path       string
	size       int64  // the file's size when opened: nothing past it is read
	slab       []byte // bytes read from the file; slab[r:w] are not yet parsed
	r, w       int
	pos        int64 // file offset of slab[r]
	read       int64 // bytes read from the file so far
	chunkStart int64 // file offset of the chunk being served
	payload    []byte
	off        int
	damage     *Damage // the damage met, which ended the stream
	err        error   // a failure to read the file
	ended      bool
}

// slabSize is the initial size of a chunk reader's slab; it grows to hold the
// largest chunk met.
const slabSize = 256 << 10

func (c *chunkReader) reset(f io.Reader, size int64, path string) {
	if c.slab == nil {
		c.slab = make([]byte, slabSize)
	}
	c.f, c.size, c.path = f, size, path
	c.r, c.w, c.pos, c.read, c.chunkStart = 0, 0, 0, 0, 0
	c.payload, c.off, c.err, c.ended, c.damage = nil, 0, nil, false, nil
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for c.off == len(c.payload) {
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.payload[c.off:])
	c.off += n
	return n, nil
}

// next makes the next chunk's payload current, or returns io.EOF at the end
// of the file or at damage, or the error reading the file.
func (c *chunkReader) next() error {
	if c.ended {
		return io.EOF
	}
	start := c.pos
	rest := c.size - start
	if rest == 0 {
		c.ended = true
		return io.EOF
	}
	c.chunkStart = start
	if rest < chunkHeader {
		return c.damaged("a chunk's header is cut short (a torn write)")
	}
	if err := c.fill(chunkHeader); err != nil {
		return err
	}
	n := int64(binary.LittleEndian.Uint32(c.slab[c.r:]))
	switch {
	case n == 0 || n > maxChunk:
		return c.damaged("a chunk's length is corrupt (garbage, or a torn write)")
	case n > rest-chunkHeader:
		return c.damaged(fmt.Sprintf("a chunk of %d bytes is cut short at %d (a torn write)", n, rest-chunkHeader))
	}
	end := chunkHeader + int(n)
	if err := c.fill(end); err != nil {
		return err
	}
	chunk := c.slab[c.r : c.r+end]
	if crc32.Update(crc32.Checksum(chunk[:4], castagnoli), castagnoli, chunk[chunkHeader:]) != binary.LittleEndian.Uint32(chunk[4:]) {
		return c.damaged("a chunk's checksum does not match (garbage, a torn write or corruption)")
	}
	c.payload, c.off = chunk[chunkHeader:], 0
	c.r += end
	c.pos += int64(end)
	return nil
}

// fill reads from the file until slab[r:w] holds at least n bytes, or all
// that is left of the file's size at opening. The current payload must be
// used up: fill may move the slab's bytes.
func (c *chunkReader) fill(n int) error {
	if c.w-c.r >= n {
		return nil
	}
	if c.r > 0 {
		c.w = copy(c.slab, c.slab[c.r:c.w])
		c.r = 0
	}
	if n > len(c.slab) {
		c.slab = append(c.slab[:c.w], make([]byte, max(n, 2*len(c.slab))-c.w)...)
	}
	for c.w < n {
		limit := min(int64(len(c.slab)-c.w), c.size-c.read)
		if limit == 0 {
			return c.damaged("the file was cut short while being read")
		}
		k, err := c.f.Read(c.slab[c.w : c.w+int(limit)])
		c.w += k
		c.read += int64(k)
		if errors.Is(err, io.EOF) && c.w < n {
			// The file is shorter than it was when opened.
			return c.damaged("the file was cut short while being read")
		}
		if err != nil && !errors.Is(err, io.EOF) {
			c.err, c.ended = err, true
			return err
		}
	}
	return nil
}

// damaged notes damage from the current chunk to the end of the file and
// ends the stream.
func (c *chunkReader) damaged(reason string) error {
	c.ended = true
	c.payload, c.off = nil, 0
	c.damage = &Damage{Path: c.path, Offset: c.chunkStart, Bytes: c.size - c.chunkStart, Reason: reason}
	return io.EOF
}
