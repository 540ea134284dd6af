package main

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/backtest"
	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/journal/journaltest"
)

// The whitelist of the backtest tests: two entries whose bounds the test
// applies by hand, and a misspelt one.
const backtestList = `{
  "defaults": {"wear": "any", "stattrak": "no", "souvenir": "no", "min_price": 0, "max_price": 100000, "joinable_only": true},
  "items": [
    {"name": "AK-47 | Redline", "wear": "Field-Tested", "max_markup": 8, "max_price": 40},
    {"name": "AWP | Asiimov", "wear": "Field-Tested", "max_markup": 10},
    {"name": "AK-47 | Redlnie", "wear": "Field-Tested", "unchecked": true}
  ]
}`

// handEntry is an entry of backtestList as the test applies it: the market
// name a trade must have, and its bounds.
type handEntry struct {
	name      string
	maxMarkup float64
	maxPrice  float64
}

var handEntries = []handEntry{
	{"AK-47 | Redline (Field-Tested)", 8, 40},
	{"AWP | Asiimov (Field-Tested)", 10, 100000},
	{"AK-47 | Redlnie (Field-Tested)", math.Inf(1), 100000},
}

// feedFrame is a createTrades frame, as encoding/json reads it.
type feedFrame struct {
	Payload struct {
		Data struct {
			CreateTrades struct {
				Trades []struct {
					MarkupPercent float64 `json:"markupPercent"`
					TotalValue    float64 `json:"totalValue"`
					CanJoin       bool    `json:"canJoin"`
					TradeItems    []struct {
						MarketName  string          `json:"marketName"`
						ItemVariant json.RawMessage `json:"itemVariant"`
					} `json:"tradeItems"`
				} `json:"trades"`
			} `json:"createTrades"`
		} `json:"data"`
	} `json:"payload"`
}

// handCount is the report's figures, counted by the test from the journal
// with encoding/json and the bounds applied by hand.
type handCount struct {
	frames, sessions, trades, invalid uint64
	first, last                       time.Time
	days                              map[string]*handDay
	entries                           []handEntryCount
}

type handDay struct {
	trades    uint64
	perMinute map[time.Time]uint32
}

type handEntryCount struct {
	seen, matches                uint64
	first, last                  time.Time
	minPrice, maxPrice           float64
	minMarkup, maxMarkup         float64
	markupOnly, markupOnlyWithin uint64 // failed the markup alone; of those, within a point of the limit
	priceOnly, joinOnly          uint64
}

// decodedRecord is a journal record, and for a frame its contents as
// encoding/json reads them.
type decodedRecord struct {
	journal.Record
	frame feedFrame
}

// decodeJournal reads every record of the journal in dir and decodes its
// frames with encoding/json.
func decodeJournal(t *testing.T, dir string) []decodedRecord {
	t.Helper()
	recs, damage := journaltest.ReadAll(t, dir)
	if len(damage) > 0 {
		t.Fatalf("damage %v", damage)
	}
	out := make([]decodedRecord, len(recs))
	for i, rec := range recs {
		out[i].Record = rec
		if rec.Kind == journal.KindFrame {
			if err := json.Unmarshal(rec.Data, &out[i].frame); err != nil {
				t.Fatalf("frame at %v: %v", rec.Time, err)
			}
		}
	}
	return out
}

// countByHand counts the report's figures over the records received in
// [from, to) (a zero time leaves that side open).
func countByHand(recs []decodedRecord, from, to time.Time) handCount {
	c := handCount{days: map[string]*handDay{}, entries: make([]handEntryCount, len(handEntries))}
	for i := range c.entries {
		c.entries[i].minPrice, c.entries[i].minMarkup = math.Inf(1), math.Inf(1)
		c.entries[i].maxPrice, c.entries[i].maxMarkup = math.Inf(-1), math.Inf(-1)
	}
	for _, rec := range recs {
		if !from.IsZero() && rec.Time.Before(from) || !to.IsZero() && !rec.Time.Before(to) {
			continue
		}
		if rec.Kind == journal.KindSessionStart {
			c.sessions++
		}
		if rec.Kind != journal.KindFrame {
			continue
		}
		c.frames++
		if c.first.IsZero() {
			c.first = rec.Time
		}
		c.last = rec.Time
		for _, tr := range rec.frame.Payload.Data.CreateTrades.Trades {
			if len(tr.TradeItems) == 0 || string(tr.TradeItems[0].ItemVariant) == "null" {
				c.invalid++
				continue
			}
			c.trades++
			at := rec.Time.UTC()
			day := c.days[at.Format(time.DateOnly)]
			if day == nil {
				day = &handDay{perMinute: map[time.Time]uint32{}}
				c.days[at.Format(time.DateOnly)] = day
			}
			day.trades++
			day.perMinute[at.Truncate(time.Minute)]++
			for i, e := range handEntries {
				if tr.TradeItems[0].MarketName != e.name {
					continue
				}
				ec := &c.entries[i]
				ec.seen++
				markupOK, priceOK := tr.MarkupPercent <= e.maxMarkup, tr.TotalValue >= 0 && tr.TotalValue <= e.maxPrice
				switch {
				case markupOK && priceOK && tr.CanJoin:
					ec.matches++
					if ec.first.IsZero() {
						ec.first = at
					}
					ec.last = at
					ec.minPrice, ec.maxPrice = min(ec.minPrice, tr.TotalValue), max(ec.maxPrice, tr.TotalValue)
					ec.minMarkup, ec.maxMarkup = min(ec.minMarkup, tr.MarkupPercent), max(ec.maxMarkup, tr.MarkupPercent)
				case !markupOK && priceOK && tr.CanJoin:
					ec.markupOnly++
					if tr.MarkupPercent <= e.maxMarkup+1 {
						ec.markupOnlyWithin++
					}
				case markupOK && !priceOK && tr.CanJoin:
					ec.priceOnly++
				case markupOK && priceOK && !tr.CanJoin:
					ec.joinOnly++
				}
			}
		}
	}
	return c
}

// fakeJournal writes the synthetic feed opts describe into a new journal in
// dir, compressed as fakeroll -generate writes it.
func fakeJournal(tb testing.TB, dir string, opts fakeroll.JournalOptions) fakeroll.JournalStats {
	tb.Helper()
	w, err := journal.NewWriter(dir, journal.Options{Writer: "fakeroll"})
	if err != nil {
		tb.Fatal(err)
	}
	stats, err := fakeroll.WriteJournal(w, opts)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
	return stats
}

// generatedJournal writes hours of the fake feed, with more malformed frames
// than the default, into a new directory.
func generatedJournal(t *testing.T, hours int, seed uint64) (string, fakeroll.JournalStats) {
	t.Helper()
	dir := t.TempDir()
	stats := fakeJournal(t, dir, fakeroll.JournalOptions{Start: time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC),
		Duration: time.Duration(hours) * time.Hour, Seed: seed, MalformedEvery: 300})
	return dir, stats
}

// runBacktestJSON runs sniper backtest -format json with args and returns
// its report.
func runBacktestJSON(t *testing.T, args ...string) backtest.Report {
	t.Helper()
	stdout, stderr := newLines(), newLines()
	if err := run(testCtx(t), append([]string{"backtest", "-format", "json"}, args...), stdout, stderr); err != nil {
		t.Fatalf("sniper backtest %v = %v; stderr:\n%s", args, err, stderr)
	}
	var r backtest.Report
	if err := json.Unmarshal([]byte(stdout.String()), &r); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, stdout)
	}
	return r
}

func TestBacktestReportAgreesWithACountByHand(t *testing.T) {
	// Two hours from 23:00 UTC: two days.
	dir, stats := generatedJournal(t, 2, 5)
	wl := filepath.Join(t.TempDir(), "wl.json")
	if err := os.WriteFile(wl, []byte(backtestList), 0o644); err != nil {
		t.Fatal(err)
	}
	recs := decodeJournal(t, dir)
	for _, window := range []struct{ from, to time.Time }{
		{},
		{time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC)},
	} {
		args := []string{"-whitelist", wl}
		if !window.from.IsZero() {
			args = append(args, "-from", window.from.Format(time.RFC3339), "-to", "2026-12-01T00:30")
		}
		r := runBacktestJSON(t, append(args, dir)...)
		want := countByHand(recs, window.from, window.to)
		if window.from.IsZero() && (want.trades != uint64(stats.Trades) || want.invalid != uint64(stats.Malformed)) {
			t.Fatalf("the hand count found %d trades and %d invalid, the generator wrote %d and %d", want.trades, want.invalid, stats.Trades, stats.Malformed)
		}
		c := r.Coverage
		if r.Trades != want.trades || c.Frames != want.frames || c.Skipped != want.invalid || c.Sessions != want.sessions ||
			!c.First.Equal(want.first) || !c.Last.Equal(want.last) {
			t.Errorf("window %v: report %d trades, coverage %+v; counted %d trades, %d frames, %d invalid, %d sessions, %v to %v",
				window, r.Trades, c, want.trades, want.frames, want.invalid, want.sessions, want.first, want.last)
		}
		var matches uint64
		for i, ec := range want.entries {
			e := r.Entries[i]
			matches += ec.matches
			if e.Seen != ec.seen || e.Matches != ec.matches || e.Joinable != ec.matches {
				t.Errorf("window %v, entry %d: seen %d, matches %d (%d joinable); counted %d and %d", window, i, e.Seen, e.Matches, e.Joinable, ec.seen, ec.matches)
			}
			if ec.matches > 0 && (!e.First.Equal(ec.first) || !e.Last.Equal(ec.last) || *e.Price != (backtest.Range{Min: ec.minPrice, Max: ec.maxPrice}) ||
				*e.Markup != (backtest.Range{Min: ec.minMarkup, Max: ec.maxMarkup})) {
				t.Errorf("window %v, entry %d: first %v last %v price %v markup %v; counted %v %v price %v-%v markup %v-%v", window, i,
					e.First, e.Last, e.Price, e.Markup, ec.first, ec.last, ec.minPrice, ec.maxPrice, ec.minMarkup, ec.maxMarkup)
			}
			near := map[string]backtest.NearMiss{}
			for _, nm := range e.NearMisses {
				near[nm.Bound] = nm
			}
			if nm := near["max_markup"]; uint64(nm.Trades) != ec.markupOnly ||
				ec.markupOnlyWithin > 0 && (len(nm.Steps) == 0 || nm.Steps[0].Limit != handEntries[i].maxMarkup+1 || uint64(nm.Steps[0].More) != ec.markupOnlyWithin) {
				t.Errorf("window %v, entry %d: markup near misses %+v; counted %d, %d of them within a point", window, i, nm, ec.markupOnly, ec.markupOnlyWithin)
			}
			if uint64(near["max_price"].Trades) != ec.priceOnly || uint64(near["joinable_only"].Trades) != ec.joinOnly {
				t.Errorf("window %v, entry %d: price and can-join near misses %+v, %+v; counted %d and %d", window, i, near["max_price"], near["joinable_only"], ec.priceOnly, ec.joinOnly)
			}
			if never := ec.seen == 0; e.NeverSeen != never || never && e.OtherVariants != 0 {
				t.Errorf("window %v, entry %d: never seen %t (other variants %d); counted %d trades", window, i, e.NeverSeen, e.OtherVariants, ec.seen)
			}
		}
		if r.Matches != matches || want.entries[0].matches == 0 || want.entries[0].markupOnlyWithin == 0 || !r.Entries[2].NeverSeen {
			t.Errorf("window %v: %d matches, counted %d; the test wants matches and near misses of entry 0, and entry 2 never seen", window, r.Matches, matches)
		}
		if len(r.Days) != len(want.days) {
			t.Fatalf("window %v: days %+v, counted %d", window, r.Days, len(want.days))
		}
		for _, d := range r.Days {
			hd := want.days[d.Day]
			var busiest time.Time
			var most uint32
			for m, n := range hd.perMinute {
				if n > most || n == most && m.Before(busiest) {
					busiest, most = m, n
				}
			}
			if d.Trades != hd.trades || d.BusiestTrades != most || !d.BusiestMinute.Equal(busiest) {
				t.Errorf("window %v, day %s: %d trades, busiest %v with %d; counted %d, %v with %d", window, d.Day, d.Trades, d.BusiestMinute, d.BusiestTrades, hd.trades, busiest, most)
			}
		}
	}
}

func TestBacktestTableAndSettingsToFix(t *testing.T) {
	dir, _ := generatedJournal(t, 1, 6)
	stdout, stderr := newLines(), newLines()
	if err := run(testCtx(t), []string{"backtest", "-whitelist", "../../whitelist.example.json", dir}, stdout, stderr); err != nil {
		t.Fatalf("backtest = %v\n%s", err, stderr)
	}
	for _, want := range []string{"Backtest of ../../whitelist.example.json on " + dir, "trades matched, of", "Each day (UTC):", "busiest minute"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table does not say %q:\n%s", want, stdout)
		}
	}
	if stderr.String() != "" {
		t.Errorf("stderr of a clean backtest: %s", stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{dir}, "name the whitelist to test with -whitelist FILE"},
		{[]string{"-whitelist", "../../whitelist.example.json"}, "name the journal"},
		{[]string{"-whitelist", "../../whitelist.example.json", "-format", "xml", dir}, `-format "xml": use table or json`},
		{[]string{"-whitelist", "../../whitelist.example.json", "-from", "yesterday", dir}, `invalid value "yesterday" for flag -from: not a time`},
		{[]string{"-whitelist", "../../whitelist.example.json", "-from", "2026-12-01", "-to", "2026-11-30", dir}, "is not before -to"},
		{[]string{"-whitelist", "missing.json", dir}, "-whitelist (ROLL_WHITELIST)"},
	} {
		err := run(testCtx(t), append([]string{"backtest"}, tc.args...), io.Discard, io.Discard)
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sniper backtest %q = %v, want a setting to fix saying %q", tc.args, err, tc.want)
		}
	}
}
