package backtest

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

const testList = `{
  "defaults": {"max_markup": 12, "min_price": 0, "max_price": 5000},
  "items": [
    {"name": "AK-47 | Redline", "wear": "Field-Tested", "max_markup": 8, "max_price": 40},
    {"name": "★ Karambit | Doppler", "phase": ["Ruby"], "wear": "FN", "min_price": 800},
    {"name": "AK-47 | Case Hardened", "wear": "MW", "max_float": 0.07},
    {"name": "AWP | Asiimov", "wear": "FT"},
    {"name": "AK-47 | Redlnie", "wear": "FT", "unchecked": true}
  ]
}`

var day0 = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

func tr(name string, wear messages.Wear, markup, price float64, at time.Time) messages.Trade {
	return messages.Trade{ID: "VHJhZGU6MQ", Status: "LISTED", MarketName: name, Wear: wear, MarkupPercent: markup,
		TotalValue: price, CanJoin: true, Items: 1, ReceivedAt: at}
}

func newTestBacktest(t *testing.T) *Backtest {
	t.Helper()
	l, err := whitelist.Parse([]byte(testList))
	if err != nil {
		t.Fatal(err)
	}
	return New(l)
}

func TestReportPerEntry(t *testing.T) {
	b := newTestBacktest(t)
	at := day0.Add(14 * time.Hour)
	add := func(x messages.Trade) { b.Add(&x) }
	ft := messages.WearFieldTested
	// Entry 0: three matches, one of them not joinable... which entry 0
	// (joinable_only by default) turns down; near misses on the markup
	// (8.5, 9, 9.2, 11) and on the price (41); a trade failing both.
	add(tr("AK-47 | Redline (Field-Tested)", ft, 5, 20, at))
	add(tr("AK-47 | Redline (Field-Tested)", ft, 7.5, 39, at.Add(time.Minute)))
	add(tr("AK-47 | Redline (Field-Tested)", ft, 2, 10.5, at.Add(2*time.Hour)))
	nj := tr("AK-47 | Redline (Field-Tested)", ft, 2, 10, at.Add(3*time.Hour))
	nj.CanJoin = false
	add(nj)
	for _, m := range []float64{8.5, 9, 9.2, 11} {
		add(tr("AK-47 | Redline (Field-Tested)", ft, m, 30, at))
	}
	add(tr("AK-47 | Redline (Field-Tested)", ft, 5, 41, at))
	add(tr("AK-47 | Redline (Field-Tested)", ft, 9, 41, at)) // two bounds: not a near miss
	add(tr("AK-47 | Redline (Field-Tested)", ft, 5, math.NaN(), at))
	// Entry 1: a Doppler in the wrong phase, and too cheap.
	add(tr("★ Karambit | Doppler Sapphire (Factory New)", messages.WearFactoryNew, 5, 1000, at))
	add(tr("★ Karambit | Doppler Ruby (Factory New)", messages.WearFactoryNew, 5, 700, at))
	// Entry 2: float too high, and no float at all.
	f := tr("AK-47 | Case Hardened (Minimal Wear)", messages.WearMinimalWear, 5, 100, at)
	f.AvgPaintWear, f.HasAvgPaintWear = 0.0712, true
	add(f)
	add(tr("AK-47 | Case Hardened (Minimal Wear)", messages.WearMinimalWear, 5, 100, at))
	// Entry 3 only in another wear; entry 4 never (misspelt).
	add(tr("AWP | Asiimov (Battle-Scarred)", messages.WearBattleScarred, 1, 10, at))
	add(tr("AWP | Asiimov (Well-Worn)", messages.WearWellWorn, 1, 10, at))
	// No entry.
	add(tr("M4A4 | Howl (Factory New)", messages.WearFactoryNew, 1, 10, at))

	r := b.Report(Coverage{})
	e := r.Entries[0]
	if e.Seen != 11 || e.Matches != 3 || e.Joinable != 3 || !e.First.Equal(at) || !e.Last.Equal(at.Add(2*time.Hour)) ||
		*e.Price != (Range{10.5, 39}) || *e.Markup != (Range{2, 7.5}) {
		t.Errorf("entry 0: %+v", e)
	}
	if e.Rejected["markup_too_high"] != 5 || e.Rejected["price_too_high"] != 1 || e.Rejected["cannot_join"] != 1 || e.Rejected["price_too_low"] != 1 {
		t.Errorf("entry 0 rejected %v", e.Rejected)
	}
	if len(e.NearMisses) != 4 {
		t.Fatalf("entry 0 near misses %+v, want markup, the NaN price, price and can-join", e.NearMisses)
	}
	markup := e.NearMisses[0]
	want := []Step{{9, 2}, {10, 3}, {11, 4}}
	if markup.Bound != "max_markup" || markup.Trades != 4 || *markup.Limit != 8 || *markup.Closest != 8.5 || *markup.Farthest != 11 || !equalSteps(markup.Steps, want) {
		t.Errorf("markup near miss %+v steps %v, want steps %v", markup, markup.Steps, want)
	}
	if nm := e.NearMisses[1]; nm.Bound != "min_price" || nm.Trades != 1 || nm.Steps != nil {
		t.Errorf("NaN price near miss %+v: want counted, without steps", nm)
	}
	if nm := e.NearMisses[2]; nm.Bound != "max_price" || nm.Trades != 1 || !equalSteps(nm.Steps, []Step{{42, 1}}) {
		t.Errorf("price near miss %+v steps %v, want 1 more at 42 (steps of 2 for a limit of 40)", nm, nm.Steps)
	}
	if nm := e.NearMisses[3]; nm.Bound != "joinable_only" || nm.Trades != 1 {
		t.Errorf("can-join near miss %+v", nm)
	}

	e = r.Entries[1]
	if e.Seen != 2 || e.Matches != 0 || len(e.NearMisses) != 2 || e.NearMisses[0].Phases["Sapphire"] != 1 ||
		e.NearMisses[1].Bound != "min_price" || !equalSteps(e.NearMisses[1].Steps, []Step{{700, 1}}) {
		t.Errorf("entry 1: %+v, near misses %+v", e, e.NearMisses)
	}
	e = r.Entries[2]
	if len(e.NearMisses) != 2 || e.NearMisses[0].Bound != "float" || e.NearMisses[1].Bound != "max_float" ||
		!equalSteps(e.NearMisses[1].Steps, []Step{{0.075, 1}}) {
		t.Errorf("entry 2 near misses %+v", e.NearMisses)
	}
	if e := r.Entries[3]; !e.NeverSeen || e.OtherVariants != 2 {
		t.Errorf("entry 3: %+v, want never seen, 2 trades in other wears", e)
	}
	if e := r.Entries[4]; !e.NeverSeen || e.OtherVariants != 0 {
		t.Errorf("entry 4: %+v, want never seen, the name never", e)
	}
	if r.Trades != 18 || r.Matches != 3 {
		t.Errorf("totals %d trades, %d matches", r.Trades, r.Matches)
	}
}

func equalSteps(a, b []Step) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i].Limit-b[i].Limit) > 1e-12 || a[i].More != b[i].More {
			return false
		}
	}
	return true
}

func TestNearMissStepsShowTheFirstFour(t *testing.T) {
	b := newTestBacktest(t)
	at := day0
	for _, m := range []float64{8.1, 8.2, 9.5, 10, 10.1, 13, 25} {
		x := tr("AK-47 | Redline (Field-Tested)", messages.WearFieldTested, m, 30, at)
		b.Add(&x)
	}
	nm := b.Report(Coverage{}).Entries[0].NearMisses[0]
	if want := []Step{{9, 2}, {10, 4}, {11, 5}, {13, 6}}; !equalSteps(nm.Steps, want) || *nm.Farthest != 25 {
		t.Errorf("steps %v, want %v", nm.Steps, want)
	}
}

func TestDaysAndTheirBusiestMinute(t *testing.T) {
	b := newTestBacktest(t)
	add := func(at time.Time, n int) {
		for range n {
			x := tr("M4A4 | Howl (Factory New)", messages.WearFactoryNew, 1, 10, at)
			b.Add(&x)
		}
	}
	add(day0.Add(10*time.Hour+5*time.Minute+10*time.Second), 3)
	add(day0.Add(10*time.Hour+5*time.Minute+50*time.Second), 2) // the same minute: 5
	add(day0.Add(20*time.Hour), 4)
	add(day0.Add(23*time.Hour+59*time.Minute+59*time.Second), 1)
	add(day0.Add(24*time.Hour+time.Second), 6) // the next UTC day
	// A trade received in another zone counts in its UTC day.
	x := tr("M4A4 | Howl (Factory New)", messages.WearFactoryNew, 1, 10, day0.Add(24*time.Hour+30*time.Minute).In(time.FixedZone("EST", -5*3600)))
	b.Add(&x)
	r := b.Report(Coverage{})
	if len(r.Days) != 2 {
		t.Fatalf("days %+v", r.Days)
	}
	d0, d1 := r.Days[0], r.Days[1]
	if d0.Day != "2026-11-30" || d0.Trades != 10 || d0.BusiestTrades != 5 || !d0.BusiestMinute.Equal(day0.Add(10*time.Hour+5*time.Minute)) {
		t.Errorf("day 0 %+v", d0)
	}
	if d1.Day != "2026-12-01" || d1.Trades != 7 || d1.BusiestTrades != 6 || !d1.BusiestMinute.Equal(day0.Add(24*time.Hour)) {
		t.Errorf("day 1 %+v", d1)
	}
}

func TestRenderings(t *testing.T) {
	b := newTestBacktest(t)
	at := day0.Add(14 * time.Hour)
	for _, m := range []float64{5, 9, 9.5, 8.5} {
		x := tr("AK-47 | Redline (Field-Tested)", messages.WearFieldTested, m, 30, at)
		b.Add(&x)
	}
	r := b.Report(Coverage{First: at, Last: at.Add(90 * time.Minute), Frames: 4, Sessions: 1, Skipped: 2, DamagedSegments: 1, DamagedBytes: 77})
	r.Whitelist, r.Journal = "wl.json", []string{"journal/"}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Backtest of wl.json on journal/",
		"Recorded 2026-11-30 14:00:00 to 2026-11-30 15:30:00 UTC (1h30m): 4 trades in 4 frames, 1 connection session.",
		"2 frames or trades skipped as malformed; 77 bytes skipped in 1 damaged segment",
		"1 trade matched, of 4 trades.",
		"#0 AK-47 | Redline, Field-Tested",
		"1 match (1 joinable), first 2026-11-30 14:00:00, last 2026-11-30 14:00:00 UTC",
		"3 trades of the item turned down: 3 markup_too_high",
		"near misses: 2 more with max_markup 9 instead of 8; 3 with 10",
		"Never seen in the recording:",
		"#4 AK-47 | Redlnie",
		"no trade of this name in any wear: check its spelling, or it is rare",
		"2026-11-30",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table does not say %q:\n%s", want, table.String())
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Matches != 1 || len(back.Entries) != 5 || back.Entries[0].NearMisses[0].Steps[1].More != 3 || back.Coverage.DamagedBytes != 77 {
		t.Errorf("JSON read back as %+v", back)
	}
}

func TestNiceStep(t *testing.T) {
	for x, want := range map[float64]float64{1: 1, 1.5: 1, 2: 2, 4.9: 2, 5: 5, 9.99: 5, 10: 10, 0.007: 0.005, 0.018: 0.01, 150: 100, 0.05: 0.05} {
		if got := niceStep(x); math.Abs(got-want) > 1e-15 {
			t.Errorf("niceStep(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestAddDoesNotAllocateOnceItsMapsHoldTheNames(t *testing.T) {
	b := newTestBacktest(t)
	trades := []messages.Trade{
		tr("AK-47 | Redline (Field-Tested)", messages.WearFieldTested, 5, 20, day0),
		tr("M4A4 | Howl (Factory New)", messages.WearFactoryNew, 1, 10, day0),
		tr("AK-47 | Redline (Field-Tested)", messages.WearFieldTested, 9, 50, day0),
	}
	for i := range trades {
		b.Add(&trades[i])
	}
	for i := range trades[:2] {
		if got := testing.AllocsPerRun(100, func() { b.Add(&trades[i]) }); got != 0 {
			t.Errorf("Add(%q) allocates %v times", trades[i].MarketName, got)
		}
	}
}
