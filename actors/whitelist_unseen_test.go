package actors

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

const day = 24 * time.Hour

// unseenEntries returns the entries the unseen warnings logged so far name,
// and empties nothing: each call sees every warning.
func unseenEntries(rec *logtest.Recorder) []string {
	var entries []string
	for _, r := range rec.Matching(unseenMessage) {
		entries = append(entries, r.String("entry"))
	}
	return entries
}

// Once a day the sink warns of each entry whose item has not been on the
// feed for UnseenAfter: a trade it decided against the entry, matched or
// rejected, counts as seen; a trade of another item does not. A reload
// keeps what was seen of the entries it keeps.
func TestWhitelistReportsUnseenEntriesDaily(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec, log := logtest.New()
		w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), Log: log, UnseenAfter: 3 * day})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx, make(chan messages.Match)) }()
		// after waits d, then until the sink has done what the time brought.
		after := func(d time.Duration) {
			time.Sleep(d)
			synctest.Wait()
		}
		const stattrak = "#1 AK-47 | Redline, Field-Tested, StatTrak, max markup 5%, any price"

		after(day + time.Hour)
		// Decided as the hub does, on its own goroutine (here the test's).
		wlHandle(t, w, wlTrade("too-dear", 50, 10))                                // the plain Redline, rejected for its markup: seen
		wlHandle(t, w, messages.Trade{MarketName: "AWP | Asiimov (Field-Tested)"}) // no entry's item
		after(day)                                                                 // day 2
		if got := unseenEntries(rec); len(got) != 0 {
			t.Fatalf("warned of %q after 2 days, want nothing yet", got)
		}
		after(day) // day 3: the StatTrak entry, watched since the start, has never come
		if got := unseenEntries(rec); len(got) != 1 || got[0] != stattrak {
			t.Fatalf("warned of %q on day 3, want only %q", got, stattrak)
		}
		if r := rec.Matching(unseenMessage)[0]; r.String("unseen_for") != "72h0m0s" || r.Attrs["watched_since"].Time().IsZero() {
			t.Errorf("the warning says %v, want unseen_for 72h0m0s and when the entry was first watched", r.Attrs)
		}
		after(day) // day 4: again, once; the plain one came 2 days 23 hours ago
		if got := unseenEntries(rec); len(got) != 2 || got[1] != stattrak {
			t.Fatalf("warned of %q by day 4, want %q twice", got, stattrak)
		}

		// A reload that changes the plain entry's prices and adds an entry:
		// the plain one keeps its last sighting, the new one starts afresh.
		w.Swap(wlList(t, `{"items": [
  {"name": "M4A4 | Howl", "wear": "Minimal Wear"},
  {"name": "AK-47 | Redline", "wear": "Field-Tested", "max_markup": 20, "max_price": 40}
]}`))
		after(day) // day 5
		got := rec.Matching(unseenMessage)[2:]
		if len(got) != 1 || got[0].String("entry") != "#1 AK-47 | Redline, Field-Tested, max markup 20%, price 0-40" ||
			got[0].String("unseen_for") != "95h0m0s" || got[0].Attrs["last_seen"].Time().IsZero() {
			t.Fatalf("day 5 warnings %+v, want only the plain Redline, unseen for 4 days less an hour, with when it was last seen", got)
		}
		after(3 * day) // day 8: the Howl too, watched since the reload took effect
		const howl, redline = "#0 M4A4 | Howl, Minimal Wear, any markup, any price", "#1 AK-47 | Redline, Field-Tested, max markup 20%, price 0-40"
		if got := unseenEntries(rec)[3:]; strings.Join(got, "; ") != strings.Join([]string{redline, redline, howl, redline}, "; ") {
			t.Fatalf("warnings from day 6 to 8: %q, want the Redline's each day and the Howl's on day 8, in the list's order", got)
		}

		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run() = %v, want context.Canceled", err)
		}
	})
}

// Without UnseenAfter the sink never looks.
func TestWhitelistUnseenOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec, log := logtest.New()
		w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), Log: log})
		in := make(chan messages.Match)
		done := make(chan error, 1)
		go func() { done <- w.Run(t.Context(), in) }()
		time.Sleep(30 * day)
		synctest.Wait()
		close(in)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := unseenEntries(rec); len(got) != 0 {
			t.Errorf("warned of %q with the check off", got)
		}
	})
}

// The decision notes each sighting on the fan-out's goroutine while the daily
// check reads them on the whitelist's, and a reload carries them over on the
// reloader's: under the race detector, any of them unsynchronised fails here.
func TestWhitelistSightingsAreSafeBesideTheCheckAndAReload(t *testing.T) {
	w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), UnseenAfter: time.Nanosecond})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			w.reportUnseen(t.Context(), time.Now())
			w.Swap(wlList(t, wlFile))
		}
	}()
	for range 2000 {
		wlHandle(t, w, wlTrade("seen", 50, 10)) // rejected, but its entry's item came
	}
	<-done
	if got := w.Stats().Rejected; got[whitelist.MarkupTooHigh] != 2000 {
		t.Errorf("rejected for markup %d times, want 2000", got[whitelist.MarkupTooHigh])
	}
}
