// Package journaltest writes and reads journals for tests: the records of a
// journal as a slice, and a slice of records as a journal. It starts no
// goroutine.
package journaltest

import (
	"bytes"
	"testing"

	"github.com/rollsniper/rollsniper/internal/journal"
)

// Write appends recs to a new writer of a journal in dir with opts, flushing
// after each record when flush is set (as a recorder syncing every second
// would have them on disk), and closes it unless leaveOpen is set (as a
// crash would leave it). It returns the path of the segment written last.
func Write(tb testing.TB, dir string, opts journal.Options, recs []journal.Record, flush, leaveOpen bool) string {
	tb.Helper()
	w, err := journal.NewWriter(dir, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	for _, r := range recs {
		if _, err := w.Append(r); err != nil {
			tb.Fatal(err)
		}
		if flush {
			if err := w.Flush(); err != nil {
				tb.Fatal(err)
			}
		}
	}
	path := w.Segment()
	if !leaveOpen {
		if err := w.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	return path
}

// ReadAll reads every record of the journal that paths name, copying each
// record's Data, and returns them with the damage the reader met.
func ReadAll(tb testing.TB, paths ...string) ([]journal.Record, []journal.Damage) {
	tb.Helper()
	r, err := journal.NewReader(paths...)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var out []journal.Record
	for rec, err := range r.All() {
		if err != nil {
			tb.Fatal(err)
		}
		rec.Data = bytes.Clone(rec.Data)
		out = append(out, rec)
	}
	return out, r.Damage()
}
