package journal_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/journal"
)

// fillSegments writes n segments of about size bytes each (incompressible
// records) with w, one after the other, and returns their paths, oldest first.
// The last one stays open.
func fillSegments(t *testing.T, w *journal.Writer, n int, size int, at time.Time) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	var paths []string
	for i := range n {
		if i > 0 {
			if err := w.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		if _, err := w.Append(journal.Record{Kind: journal.KindFrame, Time: at.Add(time.Duration(i) * time.Minute), Data: data}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, w.Segment())
	}
	return paths
}

func TestPruneDeletesOldestFirstUntilTheJournalFits(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, dir, journal.Options{})
	paths := fillSegments(t, w, 6, 10_000, t0)
	notes := writeFile(t, dir, "notes.txt", make([]byte, 100_000))
	var sizes []int64
	var total int64
	for _, p := range paths {
		sizes = append(sizes, fileSize(t, p))
		total += sizes[len(sizes)-1]
	}
	// Room for the newest three and a half: the three oldest must go.
	limit := total - sizes[0] - sizes[1] - sizes[2]/2
	removed, err := w.Prune(limit)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, paths[:3]) {
		t.Errorf("removed %v, want the three oldest %v", removed, paths[:3])
	}
	left := segments(t, dir)
	if !slices.Equal(left, paths[3:]) {
		t.Errorf("left %v, want %v", left, paths[3:])
	}
	if _, err := os.Stat(notes); err != nil {
		t.Errorf("Prune touched a file that is not a segment: %v", err)
	}
	// Fitting already: nothing goes.
	if removed, err := w.Prune(limit); err != nil || len(removed) > 0 {
		t.Errorf("second Prune removed %v, %v", removed, err)
	}
}

func TestPruneNeverDeletesTheOpenSegment(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, dir, journal.Options{})
	paths := fillSegments(t, w, 3, 20_000, t0)
	open := w.Segment()
	if open != paths[2] {
		t.Fatalf("open segment %s, want the newest %s", open, paths[2])
	}
	removed, err := w.Prune(1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, paths[:2]) {
		t.Errorf("removed %v, want %v", removed, paths[:2])
	}
	if left := segments(t, dir); !slices.Equal(left, []string{open}) {
		t.Errorf("left %v, want only the open segment", left)
	}
	// The open segment is still being written, and reads back whole.
	if _, err := w.Append(journal.Record{Kind: journal.KindFrame, Time: t0.Add(time.Hour), Data: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, damage := readAll(t, dir)
	if len(got) != 2 || string(got[1].Data) != "after" || len(damage) > 0 {
		t.Errorf("read %d records, damage %v", len(got), damage)
	}
}

func TestPruneKeepsTheOpenSegmentEvenWhenItIsOlder(t *testing.T) {
	// A segment from an earlier run with a later name (a clock that was
	// ahead) is older by name than the open one; the open one is still kept,
	// and the stale one goes.
	dir := t.TempDir()
	old := newWriter(t, dir, journal.Options{})
	future := fillSegments(t, old, 1, 20_000, t0.Add(24*time.Hour))
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, dir, journal.Options{})
	fillSegments(t, w, 1, 20_000, t0)
	removed, err := w.Prune(1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, future) {
		t.Errorf("removed %v, want %v", removed, future)
	}
	if left := segments(t, dir); !slices.Equal(left, []string{w.Segment()}) {
		t.Errorf("left %v, want the open segment %s", left, w.Segment())
	}
}

func TestPruneWithoutALimitDeletesNothing(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, dir, journal.Options{})
	fillSegments(t, w, 3, 1000, t0)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int64{0, -1} {
		if removed, err := journal.Prune(dir, limit, ""); err != nil || len(removed) > 0 {
			t.Errorf("Prune(%d) removed %v, %v", limit, removed, err)
		}
	}
	// With no open segment to keep, everything may go.
	removed, err := journal.Prune(dir, 1, "")
	if err != nil || len(removed) != 3 {
		t.Errorf("Prune(1) removed %v, %v; want all 3", removed, err)
	}
	if removed, err := journal.Prune(filepath.Join(dir, "missing"), 1, ""); err == nil {
		t.Errorf("Prune of a missing directory removed %v without an error", removed)
	}
}
