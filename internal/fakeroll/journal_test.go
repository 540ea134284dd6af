package fakeroll

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/journal"
)

// writeTestJournal writes the synthetic journal opts describe into a new
// directory and returns it with the stats.
func writeTestJournal(t *testing.T, opts JournalOptions) (string, JournalStats) {
	t.Helper()
	dir := t.TempDir()
	w, err := journal.NewWriter(dir, journal.Options{Writer: "fakeroll test"})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := WriteJournal(w, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, stats
}

// journalFrame is a next frame as the sniper receives it, decoded with
// encoding/json, independently of the server's encoder.
type journalFrame struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Payload struct {
		Data struct {
			CreateTrades *struct {
				Trades []json.RawMessage `json:"trades"`
			} `json:"createTrades"`
		} `json:"data"`
	} `json:"payload"`
}

// journalCount is what a test counts in a journal by decoding it.
type journalCount struct {
	frames, trades, malformed, starts, ends int
	perSecond                               map[int64]int   // trades by receive second
	gaps                                    []time.Duration // from each session's end to the next one's start
	first, last                             time.Time
}

// countJournal reads the journal in dir and counts its frames and trades,
// decoding each frame with encoding/json, and checks each record on the way.
func countJournal(t *testing.T, dir string) journalCount {
	t.Helper()
	r, err := journal.NewReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := journalCount{perSecond: map[int64]int{}}
	var prev time.Time
	var session uint64
	var ended time.Time
	open := false
	for rec, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Time.Before(prev) {
			t.Fatalf("record at %v after one at %v", rec.Time, prev)
		}
		prev = rec.Time
		if rec.Conn != 1 {
			t.Fatalf("record on connection %d", rec.Conn)
		}
		switch rec.Kind {
		case journal.KindSessionStart:
			if open || rec.Session != session+1 {
				t.Fatalf("session %d starts (open %t, last %d)", rec.Session, open, session)
			}
			session, open = rec.Session, true
			if c.starts > 0 {
				c.gaps = append(c.gaps, rec.Time.Sub(ended))
			}
			c.starts++
			continue
		case journal.KindSessionEnd:
			if !open || rec.Session != session {
				t.Fatalf("session %d ends (open %t, current %d)", rec.Session, open, session)
			}
			open, ended = false, rec.Time
			c.ends++
			continue
		case journal.KindFrame:
		default:
			t.Fatalf("record of kind %v", rec.Kind)
		}
		if !open || rec.Session != session {
			t.Fatalf("frame of session %d outside it (open %t, current %d)", rec.Session, open, session)
		}
		var f journalFrame
		if err := json.Unmarshal(rec.Data, &f); err != nil {
			t.Fatalf("frame %d is not JSON: %v\n%s", c.frames, err, rec.Data)
		}
		if f.ID != "1" || f.Type != "next" || f.Payload.Data.CreateTrades == nil || len(f.Payload.Data.CreateTrades.Trades) == 0 {
			t.Fatalf("frame %d is not a createTrades next of operation 1: %s", c.frames, rec.Data)
		}
		if c.frames == 0 {
			c.first = rec.Time
		}
		c.last = rec.Time
		c.frames++
		for _, raw := range f.Payload.Data.CreateTrades.Trades {
			var tr Trade
			if err := json.Unmarshal(raw, &tr); err != nil {
				t.Fatalf("trade %s: %v", raw, err)
			}
			if tr.TradeItems == nil || tr.TradeItems[0].ItemVariant == nil {
				c.malformed++
				continue
			}
			if lag := rec.Time.Sub(tr.CreatedAt); lag < 0 || lag > time.Second {
				t.Fatalf("trade created at %v received at %v", tr.CreatedAt, rec.Time)
			}
			c.trades++
			c.perSecond[rec.Time.Unix()]++
		}
	}
	if open {
		t.Error("the last session is not ended")
	}
	if d := r.Damage(); len(d) > 0 {
		t.Errorf("damage in a fresh journal: %v", d)
	}
	return c
}

func TestWriteJournalHour(t *testing.T) {
	// 13:30 to 14:30 UTC, where the day's cycle is at its mean.
	start := time.Date(2026, 11, 30, 13, 30, 0, 0, time.UTC)
	dir, stats := writeTestJournal(t, JournalOptions{Start: start, Duration: time.Hour, Seed: 7})
	c := countJournal(t, dir)

	if c.frames != stats.Frames || c.trades != stats.Trades || c.malformed != stats.Malformed || c.starts != stats.Sessions || c.ends != stats.Sessions {
		t.Errorf("decoded %d frames, %d trades, %d malformed, %d sessions started and %d ended; WriteJournal said %+v",
			c.frames, c.trades, c.malformed, c.starts, c.ends, stats)
	}
	if c.first.Before(start) || !c.last.Before(start.Add(time.Hour)) || !c.first.Equal(stats.First) || !c.last.Equal(stats.Last) {
		t.Errorf("frames from %v to %v, stats %v to %v; want within the hour from %v", c.first, c.last, stats.First, stats.Last, start)
	}
	// About 1.1 listings a second: 3,960 in the hour, give or take the
	// bursts.
	if c.trades < 3400 || c.trades > 4500 {
		t.Errorf("%d trades in an hour, want about 3,960", c.trades)
	}
	// Bursts: some second holds many trades, while most hold one or none.
	var counts []int
	for s := start.Unix(); s < start.Add(time.Hour).Unix(); s++ {
		counts = append(counts, c.perSecond[s])
	}
	slices.Sort(counts)
	t.Logf("%d trades in %d frames, %d malformed, %d sessions; trades a second: median %d, most %d",
		c.trades, c.frames, c.malformed, c.starts, counts[len(counts)/2], counts[len(counts)-1])
	if median, top := counts[len(counts)/2], counts[len(counts)-1]; median > 1 || top < 6 {
		t.Errorf("trades a second: median %d, most %d; want a quiet feed with bursts", median, top)
	}
}

func TestWriteJournalIsDeterministic(t *testing.T) {
	start := time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC)
	a, _ := writeTestJournal(t, JournalOptions{Start: start, Duration: time.Hour, Seed: 11})
	b, _ := writeTestJournal(t, JournalOptions{Start: start, Duration: time.Hour, Seed: 11})
	other, _ := writeTestJournal(t, JournalOptions{Start: start, Duration: time.Hour, Seed: 12})
	files := func(dir string) [][]byte {
		paths, err := filepath.Glob(filepath.Join(dir, "*.rsj"))
		if err != nil {
			t.Fatal(err)
		}
		var out [][]byte
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, data)
		}
		return out
	}
	fa, fb, fo := files(a), files(b), files(other)
	// The hour crosses midnight UTC: two segments.
	if len(fa) != 2 {
		t.Fatalf("%d segments for an hour across midnight, want 2", len(fa))
	}
	if !slices.EqualFunc(fa, fb, bytes.Equal) {
		t.Error("the same seed wrote different journals")
	}
	if slices.EqualFunc(fa, fo, bytes.Equal) {
		t.Error("another seed wrote the same journal")
	}
}

func TestWriteJournalMalformedFrames(t *testing.T) {
	start := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	dir, stats := writeTestJournal(t, JournalOptions{Start: start, Duration: 10 * time.Minute, Seed: 3, MalformedEvery: 20})
	c := countJournal(t, dir)
	// One frame in 20 of some 700.
	if c.malformed < 15 || c.malformed > 60 || c.malformed != stats.Malformed {
		t.Errorf("%d malformed frames (stats %d) in %d, want about one in 20", c.malformed, stats.Malformed, c.frames)
	}

	dir, _ = writeTestJournal(t, JournalOptions{Start: start, Duration: 10 * time.Minute, Seed: 3, MalformedEvery: -1})
	if c := countJournal(t, dir); c.malformed != 0 {
		t.Errorf("%d malformed frames with MalformedEvery -1", c.malformed)
	}
}

func TestWriteJournalReconnects(t *testing.T) {
	start := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	dir, stats := writeTestJournal(t, JournalOptions{Start: start, Duration: time.Hour, Seed: 5, SessionEvery: 5 * time.Minute})
	// countJournal checks that sessions start and end in turn, numbered
	// from 1, with every frame inside one.
	c := countJournal(t, dir)
	if c.starts < 6 || c.starts != stats.Sessions || c.ends != c.starts {
		t.Errorf("%d sessions started, %d ended, stats say %d; want about 12", c.starts, c.ends, stats.Sessions)
	}
	// Each reconnect takes 1 to 5 s, without a frame.
	for _, g := range c.gaps {
		if g < time.Second || g >= 5*time.Second {
			t.Errorf("reconnects took %v, want each from 1 to 5 s", c.gaps)
			break
		}
	}
}

func TestWriteJournalNeedsAStartAndADuration(t *testing.T) {
	w, err := journal.NewWriter(t.TempDir(), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, opts := range []JournalOptions{{Duration: time.Hour}, {Start: time.Now()}, {Start: time.Now(), Duration: -time.Second}} {
		if _, err := WriteJournal(w, opts); err == nil {
			t.Errorf("WriteJournal(%+v) wrote a journal", opts)
		}
	}
}

// BenchmarkWriteJournalDay writes a day of synthetic feed, as fakeroll
// -generate 24h does.
func BenchmarkWriteJournalDay(b *testing.B) {
	start := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		w, err := journal.NewWriter(b.TempDir(), journal.Options{})
		if err != nil {
			b.Fatal(err)
		}
		stats, err := WriteJournal(w, JournalOptions{Start: start, Duration: 24 * time.Hour, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(stats.Trades), "trades/day")
	}
}
