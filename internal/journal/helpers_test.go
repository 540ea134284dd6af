package journal_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/journal/journaltest"
)

// t0 is a time to start records at: a Monday afternoon, in UTC.
var t0 = time.Date(2026, 11, 30, 14, 57, 2, 123456789, time.UTC)

// makeRecords returns n records of every kind, from conns 1 to 4, a few
// hundred milliseconds apart, with frame data shaped like the feed's (JSON
// with a varying part) of sizes from 0 bytes to several kilobytes.
func makeRecords(seed uint64, n int) []journal.Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	at := t0
	out := make([]journal.Record, n)
	for i := range out {
		at = at.Add(time.Duration(rng.IntN(900_000_000)) + 1)
		r := journal.Record{Kind: journal.KindFrame, Conn: uint8(1 + i%4), Session: uint64(1 + i/50), Time: at}
		switch {
		case i%37 == 0:
			r.Kind, r.Data = journal.KindSessionStart, []byte("createTrades")
		case i%41 == 0:
			r.Kind, r.Data = journal.KindSessionEnd, nil
		case i%43 == 0:
			r = journal.DroppedRecord(at, uint64(rng.IntN(1000)))
		default:
			var b bytes.Buffer
			fmt.Fprintf(&b, `{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"VHJhZGU6%d","markupPercent":%d,"totalValue":%d.%02d`,
				rng.IntN(1e8), rng.IntN(40), rng.IntN(5000), rng.IntN(100))
			for range rng.IntN(40) {
				fmt.Fprintf(&b, `,"f%d":"%x"`, rng.IntN(100), rng.Uint64())
			}
			b.WriteString(`}]}}}}`)
			r.Data = b.Bytes()
		}
		out[i] = r
	}
	return out
}

// newWriter returns a writer of a journal in dir, closed at the end of the
// test if the test has not closed it.
func newWriter(t testing.TB, dir string, opts journal.Options) *journal.Writer {
	t.Helper()
	w, err := journal.NewWriter(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// writeJournal appends recs to a new journal in dir with opts, calling
// each(w, i) after record i when each is not nil, and closes it.
func writeJournal(t testing.TB, dir string, opts journal.Options, recs []journal.Record, each func(w *journal.Writer, i int) error) {
	t.Helper()
	w := newWriter(t, dir, opts)
	for i, r := range recs {
		if _, err := w.Append(r); err != nil {
			t.Fatal(err)
		}
		if each == nil {
			continue
		}
		if err := each(w, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// flushEach, given to writeJournal, flushes after every record.
func flushEach(w *journal.Writer, _ int) error { return w.Flush() }

// closedSegment writes recs to a journal of one segment as writeJournal does
// and returns the segment's bytes.
func closedSegment(t testing.TB, recs []journal.Record, each func(w *journal.Writer, i int) error) []byte {
	t.Helper()
	dir := t.TempDir()
	writeJournal(t, dir, journal.Options{}, recs, each)
	segs := segments(t, dir)
	if len(segs) != 1 {
		t.Fatalf("%d segments, want 1", len(segs))
	}
	return readFile(t, segs[0])
}

// filesIn returns the names of the files in dir but the writer's lock file
// (LockName), which stays once a writer has opened the journal.
func filesIn(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != journal.LockName {
			names = append(names, e.Name())
		}
	}
	return names
}

// readAll reads every record of the journal that paths name, copying each
// record's Data, and returns them with the damage the reader met.
func readAll(t testing.TB, paths ...string) ([]journal.Record, []journal.Damage) {
	t.Helper()
	return journaltest.ReadAll(t, paths...)
}

// readSegment reads every record of the segment file at path, and returns
// them (Data copied) with its damage.
func readSegment(t testing.TB, path string) ([]journal.Record, *journal.Damage) {
	t.Helper()
	s, err := journal.OpenSegment(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []journal.Record
	for {
		rec, err := s.Next()
		if errors.Is(err, io.EOF) {
			return out, s.Damage()
		}
		if err != nil {
			t.Fatal(err)
		}
		rec.Data = bytes.Clone(rec.Data)
		out = append(out, rec)
	}
}

// sameRecords reports the first difference between got and want, or "".
func sameRecords(got, want []journal.Record) string {
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || g.Conn != w.Conn || g.Session != w.Session || !g.Time.Equal(w.Time) || !bytes.Equal(g.Data, w.Data) {
			return fmt.Sprintf("record %d: got %s, want %s", i, describe(g), describe(w))
		}
		if g.Time.Location() != time.UTC {
			return fmt.Sprintf("record %d: time %v is not in UTC", i, g.Time)
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("got %d records, want %d", len(got), len(want))
	}
	return ""
}

func describe(r journal.Record) string {
	return fmt.Sprintf("{%v conn %d session %d at %s, %d bytes %.40q}", r.Kind, r.Conn, r.Session, r.Time.Format(time.RFC3339Nano), len(r.Data), r.Data)
}

// segments returns the segment files in dir, oldest first.
func segments(t testing.TB, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "rollsniper-*.rsj"))
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// fileSize returns the size of the file at path.
func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// readFile returns the contents of the file at path.
func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile writes b to a new file named name in dir and returns its path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
