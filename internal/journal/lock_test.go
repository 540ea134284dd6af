package journal_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rollsniper/rollsniper/internal/journal"
)

// A journal has one writer at a time: a second is refused, with the
// directory and the first's process named, until the first closes; the lock
// file is no segment, and a reader does not need the lock.
func TestSecondWriterIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no lock where flock is missing")
	}
	dir := t.TempDir()
	first, err := journal.NewWriter(dir, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Append(journal.Record{Kind: journal.KindFrame, Conn: 1, Session: 1, Time: t0, Data: []byte("one")}); err != nil {
		t.Fatal(err)
	}
	if err := first.Flush(); err != nil {
		t.Fatal(err)
	}
	second, err := journal.NewWriter(dir, journal.Options{})
	if !errors.Is(err, journal.ErrLocked) {
		if second != nil {
			second.Close()
		}
		t.Fatalf("a second writer on the same journal: err = %v, want %v", err, journal.ErrLocked)
	}
	for _, want := range []string{dir, fmt.Sprintf("(process %d)", os.Getpid()), "record into another directory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	segs, err := journal.ListSegments(dir)
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v, %v: want the first writer's one (the lock file is none)", segs, err)
	}
	if _, err := os.Stat(filepath.Join(dir, journal.LockName)); err != nil {
		t.Errorf("no lock file: %v", err)
	}
	recs, _ := readAll(t, dir) // no lock needed to read
	if len(recs) != 1 || string(recs[0].Data) != "one" {
		t.Errorf("read %v while the writer has the journal open, want its one record", recs)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := journal.NewWriter(dir, journal.Options{})
	if err != nil {
		t.Fatalf("a writer after the first closed: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
}
