package journal_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/rollsniper/rollsniper/internal/journal"
)

// These tests build segments by hand from FORMAT.md, without the Writer: they
// check that the reader reads the documented layout, and reach the record
// checks, which a writer's intact chunks never fail.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// handHeader returns a version 1 header with start time start and writer w.
func handHeader(start time.Time, w string) []byte {
	b := []byte("\x89RSJ\r\n\x1a\n")
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, uint16(25+len(w)))
	b = binary.LittleEndian.AppendUint64(b, uint64(start.UnixNano()))
	b = append(b, byte(len(w)))
	b = append(b, w...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// handRecord appends a record as FORMAT.md lays it out.
func handRecord(b []byte, r journal.Record) []byte {
	rec := binary.LittleEndian.AppendUint32(nil, uint32(len(r.Data)))
	rec = binary.LittleEndian.AppendUint64(rec, uint64(r.Time.UnixNano()))
	rec = binary.LittleEndian.AppendUint64(rec, r.Session)
	rec = append(rec, byte(r.Kind), r.Conn)
	rec = append(rec, r.Data...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(rec, castagnoli))
	return append(b, rec...)
}

// handSegment returns a segment whose decompressed stream is stream, cut into
// chunks of at most chunk compressed bytes each.
func handSegment(t *testing.T, start time.Time, stream []byte, chunk int) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	z := enc.EncodeAll(stream, nil)
	seg := handHeader(start, "by hand")
	for len(z) > 0 {
		n := min(chunk, len(z))
		seg = handChunk(seg, z[:n])
		z = z[n:]
	}
	return seg
}

// handStream is recs as a segment's decompressed stream.
func handStream(recs []journal.Record) []byte {
	var stream []byte
	for _, r := range recs {
		stream = handRecord(stream, r)
	}
	return stream
}

func TestReadsTheDocumentedLayout(t *testing.T) {
	recs := makeRecords(20, 300)
	stream := handStream(recs)
	dir := t.TempDir()
	// Chunks need not end on a record, nor on a zstd block.
	for _, chunk := range []int{1 << 20, 1000, 7} {
		path := writeFile(t, dir, "hand.rsj", handSegment(t, recs[0].Time, stream, chunk))
		got, damage := readSegment(t, path)
		if d := sameRecords(got, recs); d != "" || damage != nil {
			t.Errorf("chunks of %d bytes: %s; damage %v", chunk, d, damage)
		}
		s, err := journal.OpenSegment(path)
		if err != nil {
			t.Fatal(err)
		}
		if h := s.Header(); h.Version != 1 || h.Writer != "by hand" || !h.Start.Equal(recs[0].Time) {
			t.Errorf("header %+v", h)
		}
		s.Close()
	}
}

// handHeaderV2 returns a version 2 header: version 1's with a flags byte
// before the CRC.
func handHeaderV2(start time.Time, w string, flags byte) []byte {
	b := []byte("\x89RSJ\r\n\x1a\n")
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, uint16(26+len(w)))
	b = binary.LittleEndian.AppendUint64(b, uint64(start.UnixNano()))
	b = append(b, byte(len(w)))
	b = append(b, w...)
	b = append(b, flags)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// handChunk appends payload as one chunk.
func handChunk(seg, payload []byte) []byte {
	lenField := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
	seg = append(seg, lenField...)
	seg = binary.LittleEndian.AppendUint32(seg, crc32.Update(crc32.Checksum(lenField, castagnoli), castagnoli, payload))
	return append(seg, payload...)
}

// rawBlock appends a zstd raw block of data (RFC 8878, 3.1.1.2).
func rawBlock(b, data []byte, last bool) []byte {
	h := uint32(len(data)) << 3
	if last {
		h |= 1
	}
	return append(append(b, byte(h), byte(h>>8), byte(h>>16)), data...)
}

func TestReadsTheDocumentedVersion2Layout(t *testing.T) {
	recs := makeRecords(23, 300)
	stream := handStream(recs)
	dir := t.TempDir()
	// Stored, as FORMAT.md describes it: a zstd frame of raw blocks, one
	// chunk of at most two blocks, the last block empty. Flag bits 1 to 7
	// are unknown to this reader, which ignores them.
	for _, flags := range []byte{0x01, 0xff} {
		seg := handHeaderV2(recs[0].Time, "by hand", flags)
		payload := []byte("\x28\xb5\x2f\xfd\x00\x58")
		for rest := stream; len(rest) > 0; {
			n := min(len(rest), 100_000)
			payload = rawBlock(payload, rest[:n], false)
			rest = rest[n:]
			if len(payload) > 150_000 {
				seg, payload = handChunk(seg, payload), nil
			}
		}
		seg = handChunk(seg, rawBlock(payload, nil, true))
		path := writeFile(t, dir, "stored.rsj", seg)
		got, damage := readSegment(t, path)
		if d := sameRecords(got, recs); d != "" || damage != nil {
			t.Errorf("flags %#x: %s; damage %v", flags, d, damage)
		}
		h, err := journal.ReadHeader(path)
		if err != nil || h.Version != 2 || !h.Stored || h.Writer != "by hand" || !h.Start.Equal(recs[0].Time) {
			t.Errorf("flags %#x: header %+v, %v", flags, h, err)
		}
	}
	// Compressed: flags 0.
	seg := handSegment(t, recs[0].Time, stream, 1000)
	v1Header := len(handHeader(recs[0].Time, "by hand"))
	seg = append(handHeaderV2(recs[0].Time, "by hand", 0), seg[v1Header:]...)
	path := writeFile(t, dir, "compressed.rsj", seg)
	got, damage := readSegment(t, path)
	if d := sameRecords(got, recs); d != "" || damage != nil {
		t.Errorf("compressed: %s; damage %v", d, damage)
	}
	if h, err := journal.ReadHeader(path); err != nil || h.Version != 2 || h.Stored {
		t.Errorf("compressed: header %+v, %v", h, err)
	}
}

func TestRecordChecks(t *testing.T) {
	recs := makeRecords(21, 20)
	var stream []byte
	var ends []int // where each record ends in the stream
	for _, r := range recs {
		stream = handRecord(stream, r)
		ends = append(ends, len(stream))
	}
	tooLong := bytes.Clone(stream)
	binary.LittleEndian.PutUint32(tooLong[ends[9]+4:], journal.MaxData+1)
	for _, tc := range []struct {
		name   string
		stream []byte
		good   int // records before the bad one
		reason string
	}{
		{"a byte of record 10's data changed", flip(stream, ends[9]+30), 10, "checksum"},
		{"record 10's time changed", flip(stream, ends[9]+9), 10, "checksum"},
		{"record 10's kind changed", flip(stream, ends[9]+24), 10, "checksum"},
		{"record 10's checksum changed", flip(stream, ends[9]), 10, "checksum"},
		{"record 10's length too long", tooLong, 10, "length"},
		{"the stream ends inside record 20", stream[:ends[19]-1], 19, "incomplete"},
		{"the stream ends inside record 20's header", stream[:ends[18]+10], 19, "incomplete"},
	} {
		path := writeFile(t, t.TempDir(), "hand.rsj", handSegment(t, recs[0].Time, tc.stream, 1<<20))
		got, damage := readSegment(t, path)
		if d := sameRecords(got, recs[:tc.good]); d != "" {
			t.Errorf("%s: %s", tc.name, d)
		}
		if damage == nil || damage.Records != int64(tc.good) || !strings.Contains(damage.Reason, tc.reason) {
			t.Errorf("%s: damage %v, want one after %d records saying %q", tc.name, damage, tc.good, tc.reason)
		}
	}
}

func flip(b []byte, at int) []byte {
	b = bytes.Clone(b)
	b[at] ^= 0x04
	return b
}

func TestAChunkFailingItsCheckIsNotRead(t *testing.T) {
	// Every single-bit change inside a chunk (its length, its CRC, its
	// payload) stops the segment at that chunk: the records flushed before
	// it come back, none from it, whatever the decoder would have made of
	// the changed bytes.
	recs := makeRecords(22, 40)
	file, flushed := flushedSegment(t, recs, journal.Options{})
	dir := t.TempDir()
	from, to := flushed[19], flushed[20] // the chunk of record 20
	for at := from; at < to; at++ {
		for bit := range 8 {
			if bit%3 != 0 && at > from+8 {
				continue // every bit of the chunk header, some of the payload's
			}
			b := bytes.Clone(file)
			b[at] ^= 1 << bit
			path := writeFile(t, dir, "flipped.rsj", b)
			got, damage := readSegment(t, path)
			if d := sameRecords(got, recs[:20]); d != "" {
				t.Fatalf("bit %d of byte %d flipped: %s", bit, at, d)
			}
			if damage == nil || damage.Offset != from || damage.Bytes != int64(len(file))-from {
				t.Fatalf("bit %d of byte %d flipped: damage %v, want from offset %d to the end", bit, at, damage, from)
			}
		}
	}
}

func TestSegmentNamesGrowWhenTimesGoBack(t *testing.T) {
	// A record a little older than the last segment's first (another
	// connection's frame, queued behind) begins a segment after a rotation:
	// its name must still sort after the previous one's.
	dir := t.TempDir()
	w := newWriter(t, dir, journal.Options{})
	times := []time.Time{t0, t0.Add(-300 * time.Millisecond), t0.Add(-time.Second)}
	for i, at := range times {
		if _, err := w.Append(journal.Record{Kind: journal.KindFrame, Conn: uint8(i + 1), Time: at, Data: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var order []byte
	for _, p := range segments(t, dir) {
		got, _ := readSegment(t, p)
		order = append(order, got[0].Data[0])
	}
	if !bytes.Equal(order, []byte{0, 1, 2}) {
		t.Errorf("segments in name order hold records %v, want them in the order written [0 1 2]", order)
	}
	// A reader orders them by the times in their headers: the same order.
	got, _ := readAll(t, dir)
	order = order[:0]
	for _, r := range got {
		order = append(order, r.Data[0])
	}
	if !bytes.Equal(order, []byte{0, 1, 2}) {
		t.Errorf("a reader reads records %v, want them in the order written [0 1 2]", order)
	}
}
