package actors

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/journal/journaltest"
	"github.com/rollsniper/rollsniper/internal/logtest"
)

// storedSegments writes n closed stored segments of frames into dir, an hour
// apart, and returns their paths, oldest first.
func storedSegments(t *testing.T, dir string, n int) []string {
	t.Helper()
	var paths []string
	for i := range n {
		var recs []journal.Record
		for k := range 300 {
			data := fmt.Appendf(nil, `{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"VHJhZGU6%d","markupPercent":%d}]}}}}`, i*1000+k, k%40)
			recs = append(recs, journal.Record{Kind: journal.KindFrame, Conn: 1, Session: 1, Time: recT0.Add(time.Duration(i)*time.Hour + time.Duration(k)*time.Second), Data: data})
		}
		paths = append(paths, journaltest.Write(t, dir, journal.Options{Store: true}, recs, false, false))
	}
	return paths
}

// isStored reports whether the segment at path is still stored.
func isStored(t *testing.T, path string) bool {
	t.Helper()
	h, err := journal.ReadHeader(path)
	if err != nil {
		t.Fatal(err)
	}
	return h.Stored
}

func TestCompactorCompressesWhatItIsHanded(t *testing.T) {
	dir := t.TempDir()
	paths := storedSegments(t, dir, 3)
	before := readJournal(t, dir)
	in := make(chan string, len(paths)+1)
	for _, p := range paths {
		in <- p
	}
	in <- filepath.Join(dir, journal.SegmentName(recT0.Add(-time.Hour))) // pruned meanwhile
	close(in)
	logs, log := logtest.New()
	c := NewCompactor(CompactorConfig{In: in, Log: log})
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if isStored(t, p) {
			t.Errorf("%s is still stored", filepath.Base(p))
		}
	}
	after := readJournal(t, dir)
	if len(after) != len(before) {
		t.Fatalf("%d records after, %d before", len(after), len(before))
	}
	for i := range before {
		if !bytes.Equal(after[i].Data, before[i].Data) || !after[i].Time.Equal(before[i].Time) {
			t.Fatalf("record %d changed", i)
		}
	}
	if s := c.Stats(); s.Compacted != 3 || s.Saved <= 0 {
		t.Errorf("stats %+v, want 3 compacted and bytes saved", s)
	}
	if w := logs.Matching("cannot compress a journal segment: it stays uncompressed"); len(w) != 0 {
		t.Errorf("a segment pruned meanwhile was reported: %v", w)
	}
}

func TestCompactorWaitsForAQuietFeed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		paths := storedSegments(t, dir, 1)
		var busy atomic.Bool
		busy.Store(true)
		in := make(chan string, 1)
		c := NewCompactor(CompactorConfig{In: in, Busy: busy.Load, Recheck: time.Second})
		done := make(chan error, 1)
		go func() { done <- c.Run(context.Background()) }()
		in <- paths[0]
		time.Sleep(time.Minute)
		synctest.Wait()
		if !isStored(t, paths[0]) || c.Stats().Compacted != 0 {
			t.Fatalf("the segment was compressed while the feed was busy")
		}
		busy.Store(false)
		time.Sleep(time.Second)
		synctest.Wait()
		if isStored(t, paths[0]) || c.Stats().Compacted != 1 {
			t.Fatalf("the segment was not compressed within a recheck of the feed going quiet")
		}
		close(in)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestCompactorStopsInTheMiddleAndLeavesTheSegmentWhole(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		paths := storedSegments(t, dir, 1)
		file, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		in := make(chan string, 1)
		c := NewCompactor(CompactorConfig{In: in, Busy: func() bool { return true }})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		in <- paths[0]
		synctest.Wait() // waiting for the feed to go quiet
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		now, err := os.ReadFile(paths[0])
		if err != nil || !bytes.Equal(now, file) {
			t.Fatalf("the segment changed (%v)", err)
		}
		if segs, _ := journal.ListSegments(dir); len(segs) != 1 {
			t.Errorf("%d segments in the journal, want the one", len(segs))
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 { // the segment and the writer's lock file
			t.Errorf("%d files in the journal, want the segment and %s alone", len(entries), journal.LockName)
		}
	})
}
