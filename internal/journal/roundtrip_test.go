package journal_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/journal"
)

func TestRoundTrip(t *testing.T) {
	recs := makeRecords(1, 3000)
	recs[0].Time = t0
	// A record larger than the reader's first buffer, and empty ones.
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i * 7 / 3)
	}
	recs[1500].Data = big
	recs[1501].Data = []byte{}
	for _, c := range []struct{ store, flush bool }{{false, false}, {false, true}, {true, false}, {true, true}} {
		store, flush := c.store, c.flush
		dir := t.TempDir()
		each := flushEach
		if !flush {
			each = nil
		}
		writeJournal(t, dir, journal.Options{Writer: "test 1.0", Store: store}, recs, each)
		got, damage := readAll(t, dir)
		if d := sameRecords(got, recs); d != "" {
			t.Errorf("store %t, flush %t: %s", store, flush, d)
		}
		if len(damage) > 0 {
			t.Errorf("store %t, flush %t: damage %v in an intact journal", store, flush, damage)
		}
		segs := segments(t, dir)
		if len(segs) != 1 {
			t.Fatalf("store %t, flush %t: %d segments, want 1", store, flush, len(segs))
		}
		s, err := journal.OpenSegment(segs[0])
		if err != nil {
			t.Fatal(err)
		}
		h := s.Header()
		s.Close()
		start := time.Date(2026, 11, 30, 14, 57, 2, 123_000_000, time.UTC) // t0 to the millisecond
		if h.Version != journal.Version || !h.Start.Equal(start) || h.Writer != "test 1.0" || h.Stored != store {
			t.Errorf("header %+v, want version %d, start %v, writer %q, stored %t", h, journal.Version, start, "test 1.0", store)
		}
		if want := "rollsniper-20261130T145702.123Z.rsj"; filepath.Base(segs[0]) != want {
			t.Errorf("flush %t: segment named %s, want %s", flush, filepath.Base(segs[0]), want)
		}
	}
}

func TestRecordTimesKeepNanosecondsInUTC(t *testing.T) {
	dir := t.TempDir()
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2026, 11, 30, 15, 0, 0, 999_999_999, paris)
	writeJournal(t, dir, journal.Options{}, []journal.Record{{Kind: journal.KindFrame, Time: at, Data: []byte("x")}}, nil)
	got, _ := readAll(t, dir)
	if len(got) != 1 || !got[0].Time.Equal(at) || got[0].Time.Location() != time.UTC || got[0].Time.Nanosecond() != 999_999_999 {
		t.Fatalf("read %v, want %v in UTC", got, at.UTC())
	}
}

func TestReaderDataIsValidUntilNext(t *testing.T) {
	// The reader reuses its buffer: a record's Data must hold its own bytes
	// when handed out, which a reader that handed out a stale slice fails.
	dir := t.TempDir()
	recs := makeRecords(2, 2000)
	writeJournal(t, dir, journal.Options{}, recs, nil)
	r, err := journal.NewReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; ; i++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			if i != len(recs) {
				t.Fatalf("read %d records, want %d", i, len(recs))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Data, recs[i].Data) {
			t.Fatalf("record %d: %q, want %q", i, rec.Data, recs[i].Data)
		}
	}
}

func TestDroppedRecord(t *testing.T) {
	dir := t.TempDir()
	writeJournal(t, dir, journal.Options{}, []journal.Record{journal.DroppedRecord(t0, 12345)}, nil)
	got, _ := readAll(t, dir)
	n, ok := got[0].Dropped()
	if !ok || n != 12345 {
		t.Fatalf("Dropped() = %d, %t; want 12345, true", n, ok)
	}
	if _, ok := (journal.Record{Kind: journal.KindFrame, Data: make([]byte, 8)}).Dropped(); ok {
		t.Error("a frame record says it is a dropped record")
	}
}

func TestAppendRefusesWhatItCannotStore(t *testing.T) {
	w := newWriter(t, t.TempDir(), journal.Options{})
	for _, tc := range []struct {
		name string
		rec  journal.Record
		want string
	}{
		{"no time", journal.Record{Kind: journal.KindFrame}, "out of range"},
		{"too late", journal.Record{Kind: journal.KindFrame, Time: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}, "out of range"},
		{"too big", journal.Record{Kind: journal.KindFrame, Time: t0, Data: make([]byte, journal.MaxData+1)}, "larger than"},
	} {
		if _, err := w.Append(tc.rec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Append = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	if w.Segment() != "" {
		t.Errorf("refused records opened segment %s", w.Segment())
	}
}

func TestWriterAfterClose(t *testing.T) {
	w := newWriter(t, t.TempDir(), journal.Options{})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := w.Append(journal.Record{Time: t0}); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if err := w.Flush(); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Flush after Close = %v, want ErrClosed", err)
	}
}

func TestReaderOrdersSegmentsByTime(t *testing.T) {
	// Segments of one journal given out of order, one twice, and a segment
	// renamed: they are read in the order of their first records.
	dir := t.TempDir()
	recs := makeRecords(3, 60)
	writeJournal(t, dir, journal.Options{}, recs, func(w *journal.Writer, i int) error {
		if (i+1)%20 == 0 {
			return w.Rotate()
		}
		return nil
	})
	segs := segments(t, dir)
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3", len(segs))
	}
	other := t.TempDir()
	renamed := writeFile(t, other, "middle.journal", readFile(t, segs[1]))
	got, _ := readAll(t, segs[2], renamed, segs[0], segs[2])
	if d := sameRecords(got, recs); d != "" {
		t.Error(d)
	}
}

func TestRandomRecordsRoundTrip(t *testing.T) {
	// Incompressible data of random sizes around the chunk and buffer sizes.
	rng := rand.New(rand.NewPCG(4, 4))
	var recs []journal.Record
	at := t0
	for i := range 200 {
		data := make([]byte, rng.IntN(600<<10))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		at = at.Add(time.Millisecond)
		recs = append(recs, journal.Record{Kind: journal.Kind(1 + i%9), Conn: uint8(i), Session: rng.Uint64(), Time: at, Data: data})
	}
	dir := t.TempDir()
	writeJournal(t, dir, journal.Options{}, recs, nil)
	got, damage := readAll(t, dir)
	if d := sameRecords(got, recs); d != "" || len(damage) > 0 {
		t.Errorf("%s; damage %v", d, damage)
	}
}

func TestAllStopsWhereTheLoopBreaks(t *testing.T) {
	dir := t.TempDir()
	recs := makeRecords(13, 10)
	writeJournal(t, dir, journal.Options{}, recs, nil)
	r, err := journal.NewReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for _, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	// The loop took three records; the reader goes on from the fourth.
	rec, err := r.Next()
	if err != nil || !bytes.Equal(rec.Data, recs[3].Data) {
		t.Errorf("after the loop: %v, %v; want record 3", describe(rec), err)
	}
}
