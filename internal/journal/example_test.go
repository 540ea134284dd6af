package journal_test

import (
	"fmt"
	"os"
	"time"

	"github.com/rollsniper/rollsniper/internal/journal"
)

// A recorder appends each frame with its receive time, syncs every second,
// and prunes after each rotation; a replay reads the directory back in order.
func Example() {
	dir, err := os.MkdirTemp("", "journal")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	w, err := journal.NewWriter(dir, journal.Options{})
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC)
	for i, frame := range []string{`{"id":"1","type":"next"}`, `{"id":"1","type":"next"}`, `not JSON`} {
		rotated, err := w.Append(journal.Record{Kind: journal.KindFrame, Conn: 1, Session: 1, Time: at.Add(time.Duration(i) * 700 * time.Millisecond), Data: []byte(frame)})
		if err != nil {
			panic(err)
		}
		if rotated {
			if _, err := w.Prune(1 << 30); err != nil {
				panic(err)
			}
		}
		if err := w.Sync(); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := journal.NewReader(dir)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	for _, s := range r.Segments() {
		fmt.Println("segment", s.Header.Start.Format(time.RFC3339Nano))
	}
	for rec, err := range r.All() {
		if err != nil {
			panic(err)
		}
		fmt.Println(rec.Time.Format(time.RFC3339Nano), rec.Kind, rec.Conn, string(rec.Data))
	}
	fmt.Println("damaged segments:", len(r.Damage()))
	// Output:
	// segment 2026-11-30T23:59:59Z
	// segment 2026-12-01T00:00:00.4Z
	// 2026-11-30T23:59:59Z frame 1 {"id":"1","type":"next"}
	// 2026-11-30T23:59:59.7Z frame 1 {"id":"1","type":"next"}
	// 2026-12-01T00:00:00.4Z frame 1 not JSON
	// damaged segments: 0
}
