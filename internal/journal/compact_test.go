package journal_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/journal/journaltest"
)

// storedSegment writes recs to a new stored journal in dir, flushing after
// each record as a recorder syncs every second, and returns its one
// segment's path; closed or left open as a crash would leave it.
func storedSegment(t *testing.T, dir string, recs []journal.Record, closeIt bool) string {
	t.Helper()
	return journaltest.Write(t, dir, journal.Options{Store: true, Writer: "rollsniper test"}, recs, true, !closeIt)
}

func TestCompactCompressesAStoredSegmentInPlace(t *testing.T) {
	dir := t.TempDir()
	recs := makeRecords(30, 3000)
	path := storedSegment(t, dir, recs, true)
	before := fileSize(t, path)
	stored, err := journal.Stored(dir)
	if err != nil || !slices.Equal(stored, []string{path}) {
		t.Fatalf("Stored = %v, %v; want the segment", stored, err)
	}
	h0, err := journal.ReadHeader(path)
	if err != nil || !h0.Stored {
		t.Fatalf("header %+v, %v: want a stored segment", h0, err)
	}

	yields := 0
	res, err := journal.Compact(path, journal.CompactOptions{Yield: func() error { yields++; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	after := fileSize(t, path)
	if !res.Compacted || res.Before != before || res.After != after || res.Records != int64(len(recs)) || res.Damage != nil {
		t.Errorf("result %+v; want compacted, %d bytes before, %d after, %d records, no damage", res, before, after, len(recs))
	}
	if after*2 > before {
		t.Errorf("compacted from %d to %d bytes: want at least 2 to 1 on these records (random hex in JSON)", before, after)
	}
	if yields < 2 {
		t.Errorf("Yield was called %d times; want before the first chunk and between chunks", yields)
	}
	got, damage := readAll(t, dir)
	if d := sameRecords(got, recs); d != "" || damage != nil {
		t.Errorf("after compaction: %s; damage %v", d, damage)
	}
	h, err := journal.ReadHeader(path)
	if err != nil || h.Stored || !h.Start.Equal(h0.Start) || h.Writer != h0.Writer || h.Version != journal.Version {
		t.Errorf("header after compaction %+v, %v; want %+v, not stored", h, err, h0)
	}
	if stored, _ := journal.Stored(dir); len(stored) != 0 {
		t.Errorf("Stored after compaction = %v, want none", stored)
	}
	if entries := filesIn(t, dir); len(entries) != 1 {
		t.Errorf("the directory holds %v, want the segment alone", entries)
	}

	// A second compaction leaves it alone.
	file := readFile(t, path)
	res, err = journal.Compact(path, journal.CompactOptions{})
	if err != nil || res.Compacted || !bytes.Equal(readFile(t, path), file) {
		t.Errorf("compacting a compressed segment: %+v, %v; want it left as it was", res, err)
	}
}

func TestCompactKeepsWhatATornStoredSegmentHolds(t *testing.T) {
	dir := t.TempDir()
	recs := makeRecords(31, 200)
	path := storedSegment(t, dir, recs, false)
	file := readFile(t, path)
	cut := len(file) - 10 // inside the last chunk: the last record is lost
	if err := os.WriteFile(path, file[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	want, wantDamage := readSegment(t, path)
	if wantDamage == nil || len(want) != len(recs)-1 {
		t.Fatalf("the torn segment reads %d records, damage %v; want %d and damage", len(want), wantDamage, len(recs)-1)
	}
	res, err := journal.Compact(path, journal.CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Damage == nil || *res.Damage != *wantDamage || res.Records != int64(len(want)) {
		t.Errorf("result %+v, damage %v; want damage %v after %d records", res, res.Damage, wantDamage, len(want))
	}
	got, damage := readSegment(t, path)
	if d := sameRecords(got, want); d != "" || damage != nil {
		t.Errorf("after compaction: %s; damage %v", d, damage)
	}
}

func TestCompactAbandonedLeavesTheSegmentAsItWas(t *testing.T) {
	dir := t.TempDir()
	path := storedSegment(t, dir, makeRecords(32, 3000), true)
	file := readFile(t, path)
	stop := errors.New("the feed is busy")
	for _, after := range []int{1, 3} {
		calls := 0
		_, err := journal.Compact(path, journal.CompactOptions{Yield: func() error {
			calls++
			if calls == after {
				return stop
			}
			return nil
		}})
		if !errors.Is(err, stop) {
			t.Fatalf("Compact = %v, want the Yield's error", err)
		}
		if !bytes.Equal(readFile(t, path), file) {
			t.Fatalf("abandoned after %d yields: the segment changed", after)
		}
		if entries := filesIn(t, dir); len(entries) != 1 {
			t.Fatalf("abandoned after %d yields: the directory holds %v, want the segment alone", after, entries)
		}
	}
}

func TestAReaderOfTheStoredSegmentReadsOnThroughACompaction(t *testing.T) {
	dir := t.TempDir()
	recs := makeRecords(33, 2000)
	path := storedSegment(t, dir, recs, true)
	s, err := journal.OpenSegment(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []journal.Record
	next := func() bool {
		r, err := s.Next()
		if errors.Is(err, io.EOF) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		r.Data = bytes.Clone(r.Data)
		got = append(got, r)
		return true
	}
	for range 10 {
		next()
	}
	if _, err := journal.Compact(path, journal.CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	for next() {
	}
	if d := sameRecords(got, recs); d != "" || s.Damage() != nil {
		t.Errorf("%s; damage %v", d, s.Damage())
	}
}

func TestRemoveUnfinishedRemovesOnlyCompactionLeftovers(t *testing.T) {
	dir := t.TempDir()
	path := storedSegment(t, dir, makeRecords(34, 10), true)
	leftover := writeFile(t, dir, filepath.Base(path)+".compacting", []byte("half a segment"))
	other := writeFile(t, dir, "notes.compacting", []byte("not ours"))
	if err := journal.RemoveUnfinished(dir); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{path: true, leftover: false, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists %t, want %t", filepath.Base(p), err == nil, want)
		}
	}
}
