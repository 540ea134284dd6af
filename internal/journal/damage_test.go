package journal_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollsniper/rollsniper/internal/journal"
)

// flushedSegment writes recs to a segment, flushing after each, and returns
// the segment's bytes as they are on disk without closing it (as a crash
// would leave it) and the file's size after each flush: flushed[k] is the
// size once records 0..k are on disk.
func flushedSegment(t *testing.T, recs []journal.Record, opts journal.Options) (file []byte, flushed []int64) {
	t.Helper()
	w := newWriter(t, t.TempDir(), opts)
	for _, r := range recs {
		if _, err := w.Append(r); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		flushed = append(flushed, fileSize(t, w.Segment()))
	}
	return readFile(t, w.Segment()), flushed
}

func TestTornTailAtEveryByte(t *testing.T) {
	for _, store := range []bool{false, true} {
		t.Run(fmt.Sprint("store=", store), func(t *testing.T) { testTornTailAtEveryByte(t, journal.Options{Store: store}) })
	}
}

func testTornTailAtEveryByte(t *testing.T, opts journal.Options) {
	recs := makeRecords(6, 6)
	file, flushed := flushedSegment(t, recs, opts)
	t.Logf("segment of %d bytes", len(file))
	if flushed[len(flushed)-1] != int64(len(file)) {
		t.Fatalf("file is %d bytes, last flush left %d", len(file), flushed[len(flushed)-1])
	}
	// The header's length, at offset 10 (FORMAT.md): a file cut there is a
	// segment with no record yet, not a damaged one.
	headerEnd := int64(binary.LittleEndian.Uint16(file[10:]))
	dir := t.TempDir()
	for cut := range len(file) + 1 {
		path := writeFile(t, dir, fmt.Sprintf("cut%05d.rsj", cut), file[:cut])
		got, damage := readSegment(t, path)
		// Every record whose flush completed before the cut comes back;
		// nothing after.
		want := 0
		for want < len(flushed) && flushed[want] <= int64(cut) {
			want++
		}
		if d := sameRecords(got, recs[:want]); d != "" {
			t.Fatalf("cut at %d of %d: %s", cut, len(file), d)
		}
		// The damage is the torn part: from the end of the last complete
		// chunk (or the start, in the header) to the cut.
		atBoundary := want > 0 && flushed[want-1] == int64(cut) || int64(cut) == headerEnd
		switch {
		case atBoundary && damage != nil:
			t.Fatalf("cut at %d, a chunk boundary: damage %v", cut, damage)
		case atBoundary:
		case damage == nil:
			t.Fatalf("cut at %d, inside a chunk or the header: no damage reported", cut)
		default:
			start := int64(0)
			if want > 0 {
				start = flushed[want-1]
			} else if int64(cut) > headerEnd {
				start = headerEnd
			}
			if damage.Offset != start || damage.Bytes != int64(cut)-start {
				t.Fatalf("cut at %d: damage %v, want %d bytes from offset %d", cut, damage, int64(cut)-start, start)
			}
			if damage.Records != int64(want) || damage.Path != path {
				t.Fatalf("cut at %d: damage %v, want after %d records in %s", cut, damage, want, path)
			}
		}
		os.Remove(path)
	}
}

func TestTornTailOfAClosedSegment(t *testing.T) {
	// Closing writes one more chunk (the end of the stream); a cut inside it
	// loses no record.
	recs := makeRecords(7, 30)
	file := closedSegment(t, recs, flushEach)
	open, flushed := flushedSegment(t, recs, journal.Options{})
	if !bytes.HasPrefix(file, open) || len(file) == len(open) {
		t.Fatalf("the closed segment (%d bytes) does not extend the open one (%d)", len(file), len(open))
	}
	cuts := t.TempDir()
	for cut := flushed[len(flushed)-1]; cut <= int64(len(file)); cut++ {
		path := writeFile(t, cuts, fmt.Sprintf("cut%d.rsj", cut), file[:cut])
		got, _ := readSegment(t, path)
		if d := sameRecords(got, recs); d != "" {
			t.Fatalf("cut at %d of %d: %s", cut, len(file), d)
		}
	}
}

func TestGarbageAfterTheLastChunkIsSkipped(t *testing.T) {
	recs := makeRecords(8, 40)
	closed := closedSegment(t, recs, nil)
	open, _ := flushedSegment(t, recs, journal.Options{})

	chunk := func(length uint32, payload []byte) []byte {
		b := binary.LittleEndian.AppendUint32(nil, length)
		b = binary.LittleEndian.AppendUint32(b, 0xdeadbeef)
		return append(b, payload...)
	}
	garbage := map[string][]byte{
		"zeros":              make([]byte, 4096),
		"text":               []byte("2026-11-30 14:57:02 some log line that landed in the wrong file\n"),
		"one byte":           {0x42},
		"huge chunk length":  chunk(0xffffffff, []byte("x")),
		"chunk with bad crc": chunk(16, bytes.Repeat([]byte{0x28}, 16)),
		// Longer than any chunk a writer makes, in a file long enough to
		// hold it: refused on its length, before reading 20 MiB.
		"oversized chunk": chunk(20<<20, make([]byte, 20<<20)),
		"a segment again": closed,
	}
	dir := t.TempDir()
	for _, base := range []struct {
		name string
		file []byte
	}{{"closed", closed}, {"open", open}} {
		for name, g := range garbage {
			path := writeFile(t, dir, strings.ReplaceAll(base.name+"-"+name, " ", "-")+".rsj", append(bytes.Clone(base.file), g...))
			got, damage := readSegment(t, path)
			if d := sameRecords(got, recs); d != "" {
				t.Errorf("%s segment + %s: %s", base.name, name, d)
			}
			want := journal.Damage{Path: path, Offset: int64(len(base.file)), Bytes: int64(len(g)), Records: int64(len(recs))}
			if damage == nil {
				t.Errorf("%s segment + %s: no damage reported", base.name, name)
				continue
			}
			if damage.Reason == "" || name == "oversized chunk" && !strings.Contains(damage.Reason, "length") {
				t.Errorf("%s segment + %s: damage reason %q", base.name, name, damage.Reason)
			}
			damage.Reason = ""
			if *damage != want {
				t.Errorf("%s segment + %s: damage %+v, want %+v", base.name, name, *damage, want)
			}
		}
	}
}

func TestCorruptionInTheMiddleLosesTheRestOfTheSegmentOnly(t *testing.T) {
	recs := makeRecords(9, 90)
	dir := t.TempDir()
	var flushed []int64 // sizes of the first segment after each flush
	writeJournal(t, dir, journal.Options{}, recs, func(w *journal.Writer, i int) error {
		if err := w.Flush(); err != nil || i >= 60 {
			return err
		}
		flushed = append(flushed, fileSize(t, w.Segment()))
		if i == 59 {
			return w.Rotate()
		}
		return nil
	})
	segs := segments(t, dir)
	first := readFile(t, segs[0])
	// Flip one bit inside the chunk that holds record 30.
	at := (flushed[29] + flushed[30]) / 2
	first[at] ^= 0x10
	if err := os.WriteFile(segs[0], first, 0o644); err != nil {
		t.Fatal(err)
	}
	got, damage := readAll(t, dir)
	want := append(recs[:30:30], recs[60:]...)
	if d := sameRecords(got, want); d != "" {
		t.Error(d)
	}
	if len(damage) != 1 || damage[0].Path != segs[0] || damage[0].Offset != flushed[29] ||
		damage[0].Bytes != int64(len(first))-flushed[29] || damage[0].Records != 30 {
		t.Errorf("damage %+v, want one in %s from offset %d, after 30 records", damage, segs[0], flushed[29])
	}
	if len(damage) == 1 && !strings.Contains(damage[0].String(), segs[0]) {
		t.Errorf("damage says %q, which does not name the file", damage[0].String())
	}
}

func TestFlushThenCrash(t *testing.T) {
	for _, store := range []bool{false, true} {
		t.Run(fmt.Sprint("store=", store), func(t *testing.T) { testFlushThenCrash(t, journal.Options{Store: store}) })
	}
}

func testFlushThenCrash(t *testing.T, opts journal.Options) {
	// Write, flush, and copy the file as it is on disk: what the process
	// would leave if it died then. Everything flushed is there.
	recs := makeRecords(10, 200)
	w := newWriter(t, t.TempDir(), opts)
	crashed := t.TempDir()
	for i, r := range recs {
		if _, err := w.Append(r); err != nil {
			t.Fatal(err)
		}
		var err error
		switch i {
		case 49:
			err = w.Flush()
		case 149:
			err = w.Sync()
		default:
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		// Records after the flush are still in memory only.
		path := writeFile(t, crashed, fmt.Sprintf("after%d.rsj", i), readFile(t, w.Segment()))
		got, damage := readSegment(t, path)
		if d := sameRecords(got, recs[:i+1]); d != "" || damage != nil {
			t.Errorf("crash after the flush of record %d: %s; damage %v", i, d, damage)
		}
	}
}

func TestUnknownVersionIsRefusedWithWhatToDo(t *testing.T) {
	dir := t.TempDir()
	writeJournal(t, dir, journal.Options{}, makeRecords(11, 5), nil)
	seg := segments(t, dir)[0]
	file := readFile(t, seg)
	binary.LittleEndian.PutUint16(file[8:], journal.Version+1)
	if err := os.WriteFile(seg, file, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := journal.NewReader(dir)
	var ve *journal.VersionError
	if !errors.As(err, &ve) || ve.Version != journal.Version+1 || ve.Path != seg {
		t.Fatalf("NewReader = %v, want a *VersionError for version %d of %s", err, journal.Version+1, seg)
	}
	for _, want := range []string{seg, fmt.Sprintf("version %d", journal.Version+1), "newer", "rollsniper"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := journal.OpenSegment(seg); !errors.As(err, &ve) {
		t.Errorf("OpenSegment = %v, want a *VersionError", err)
	}
}

func TestNotAJournalIsRefusedByName(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"whitelist.json":                      `{"items": []}`,
		"trades.jsonl":                        `{"msg":"trade"}` + "\n",
		"rollsniper-20261130T145702.123Z.rsj": "PK\x03\x04 a zip file renamed",
	} {
		path := writeFile(t, dir, name, []byte(content))
		_, err := journal.NewReader(path)
		var ne *journal.NotJournalError
		if !errors.As(err, &ne) || ne.Path != path || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a rollsniper journal") {
			t.Errorf("NewReader(%s) = %v, want a *NotJournalError naming it", name, err)
		}
	}
	// A directory: the stranger with a segment's name is refused, the
	// others are not segments and are not looked at.
	_, err := journal.NewReader(dir)
	if err == nil || !strings.Contains(err.Error(), "rollsniper-20261130T145702.123Z.rsj") {
		t.Errorf("NewReader(dir) = %v, want an error naming the stranger", err)
	}
}

func TestReaderRefusesWhatHoldsNoJournal(t *testing.T) {
	empty := t.TempDir()
	writeFile(t, empty, "notes.txt", []byte("not a segment"))
	for _, tc := range []struct {
		name  string
		paths []string
		want  string
	}{
		{"nothing", nil, "no journal given"},
		{"a directory without segments", []string{empty}, "holds no journal segments"},
		{"a missing file", []string{filepath.Join(empty, "missing.rsj")}, "missing.rsj"},
	} {
		_, err := journal.NewReader(tc.paths...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NewReader = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

func TestEmptyAndHeaderOnlySegmentsAreDamageNotErrors(t *testing.T) {
	// A crash right after a segment was created leaves an empty file, or a
	// part of the header: the reader notes it and goes on.
	recs := makeRecords(12, 10)
	dir := t.TempDir()
	writeJournal(t, dir, journal.Options{}, recs, nil)
	file := readFile(t, segments(t, dir)[0])
	writeFile(t, dir, "rollsniper-20261201T000000.000Z.rsj", nil)
	writeFile(t, dir, "rollsniper-20261201T000001.000Z.rsj", file[:20])
	// A header whose writer string was corrupted: its CRC does not match.
	bad := bytes.Clone(file)
	bad[22] ^= 0x20
	writeFile(t, dir, "rollsniper-20261201T000002.000Z.rsj", bad)
	got, damage := readAll(t, dir)
	if d := sameRecords(got, recs); d != "" {
		t.Error(d)
	}
	if len(damage) != 3 {
		t.Fatalf("damage %v, want 3", damage)
	}
	for _, d := range damage {
		if d.Offset != 0 || d.Bytes != fileSize(t, d.Path) || d.Records != 0 {
			t.Errorf("damage %+v, want the whole file", d)
		}
	}
}
