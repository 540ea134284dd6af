package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/internal/record"
	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

// wlFile is the whitelist the sink tests run: AK-47 | Redline (Field-Tested)
// up to 8 % markup and 40 coins, and the StatTrak™ variant up to 5 %.
const wlFile = `{"items": [
  {"name": "AK-47 | Redline", "wear": "Field-Tested", "max_markup": 8, "max_price": 40},
  {"name": "StatTrak™ AK-47 | Redline (Field-Tested)", "max_markup": 5}
]}`

func wlList(tb testing.TB, data string) *whitelist.List {
	tb.Helper()
	l, err := whitelist.Parse([]byte(data))
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// wlTrade returns a joinable plain Redline (Field-Tested) at markup and price.
func wlTrade(id string, markup, price float64) messages.Trade {
	return messages.Trade{
		ID:            id,
		Status:        "LISTED",
		MarkupPercent: markup,
		TotalValue:    price,
		CanJoin:       true,
		MarketName:    "AK-47 | Redline (Field-Tested)",
		Brand:         "AK-47",
		SkinName:      "Redline",
		Wear:          messages.WearFieldTested,
		Items:         1,
		ReceivedAt:    time.Now(),
	}
}

// wlRun decides trades with w, in order, as a hub does, then runs w over
// the matches (then a closed queue) and checks that Run returns nil.
func wlRun(t *testing.T, w *Whitelist, trades ...messages.Trade) {
	t.Helper()
	in := make(chan messages.Match, len(trades))
	for _, tr := range trades {
		if m, ok := w.Decide(t.Context(), &tr); ok {
			in <- m
		}
	}
	close(in)
	if err := w.Run(t.Context(), in); err != nil {
		t.Fatalf("Run() = %v, want nil once in is closed", err)
	}
}

// wlHandle decides tr with w, as a hub does, and acts on a match as Run
// does, both on the calling goroutine: when it returns, tr is done with.
func wlHandle(t *testing.T, w *Whitelist, tr messages.Trade) {
	t.Helper()
	if m, ok := w.Decide(t.Context(), &tr); ok {
		w.act(t.Context(), &m)
	}
}

// wlClose runs w over a closed queue, which closes its alert queues, and
// checks that Run returns nil.
func wlClose(t *testing.T, w *Whitelist) {
	t.Helper()
	in := make(chan messages.Match)
	close(in)
	if err := w.Run(t.Context(), in); err != nil {
		t.Fatalf("Run() = %v, want nil once in is closed", err)
	}
}

func TestWhitelistMatchRecordJSON(t *testing.T) {
	const age = 250 * time.Millisecond
	var out bytes.Buffer
	flushes := 0
	w := NewWhitelist(WhitelistConfig{
		List:  wlList(t, wlFile),
		Out:   &out,
		Flush: func() error { flushes++; return nil },
	})
	st := wlTrade("VHJhZGU6MzI5OTM0NzI", 4.5, 27.45)
	st.MarketName, st.StatTrak = "StatTrak™ AK-47 | Redline (Field-Tested)", true
	st.ReceivedAt = time.Now().Add(-age)
	st.AvgPaintWear, st.HasAvgPaintWear = 0.25, true
	st.CreatedAt = time.Date(2026, 11, 28, 18, 40, 1, 998_000_000, time.UTC)
	wlRun(t, w,
		wlTrade("too-dear", 9, 30),        // markup_too_high
		st,                                // matches entry 1
		wlTrade("too-pricey", 5, 41),      // price_too_high
		messages.Trade{MarketName: "AWP"}, // no_entry
	)

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("printed %d lines, want 1 (only the match):\n%s", len(lines), out.String())
	}
	wantKeys := []string{"time", "level", "msg", "id", "markup", "price", "can_join", "status", "item", "stattrak", "wear", "souvenir", "entry", "latency_us", "float", "created_at"}
	if got := printerKeys(t, lines[0]); !slices.Equal(got, wantKeys) {
		t.Errorf("keys = %q, want %q", got, wantKeys)
	}
	dec := json.NewDecoder(strings.NewReader(lines[0]))
	dec.UseNumber()
	var got map[string]any
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	latency, err := got["latency_us"].(json.Number).Float64()
	if err != nil {
		t.Fatalf("latency_us = %v: %v", got["latency_us"], err)
	}
	if latency < float64(age/time.Microsecond) {
		t.Errorf("latency_us = %v, want at least %v (the trade was received %v ago)", latency, age.Microseconds(), age)
	}
	delete(got, "time")
	delete(got, "latency_us")
	want := map[string]any{
		"level": "INFO", "msg": "match", "id": "VHJhZGU6MzI5OTM0NzI", "markup": json.Number("4.5"), "price": json.Number("27.45"),
		"can_join": true, "status": "LISTED", "item": "StatTrak™ AK-47 | Redline (Field-Tested)", "stattrak": true,
		"wear": "Field-Tested", "souvenir": false, "entry": "#1 AK-47 | Redline, Field-Tested, StatTrak, max markup 5%, any price",
		"float": json.Number("0.25"), "created_at": "2026-11-28T18:40:01.998Z",
	}
	if !maps.Equal(got, want) {
		t.Errorf("match record = %v\nwant %v", got, want)
	}
	if flushes != 1 {
		t.Errorf("Flush called %d times, want once (after the one match)", flushes)
	}

	wantStats := WhitelistStats{
		Entries: 2,
		Matched: 1,
		Rejected: map[whitelist.Reason]uint64{
			whitelist.NoEntry: 1, whitelist.MarkupTooHigh: 1, whitelist.PriceTooLow: 0, whitelist.PriceTooHigh: 1, whitelist.CannotJoin: 0,
			whitelist.WrongPhase: 0, whitelist.FloatUnknown: 0, whitelist.FloatTooLow: 0, whitelist.FloatTooHigh: 0,
			whitelist.TooFewStickers: 0, whitelist.NoWantedSticker: 0,
		},
	}
	if got := w.Stats(); got.Entries != wantStats.Entries || got.Matched != wantStats.Matched || !maps.Equal(got.Rejected, wantStats.Rejected) || got.AlertsDropped != 0 {
		t.Errorf("Stats() = %+v, want %+v", got, wantStats)
	}
}

// The sink writes the format it was given (internal/record's golden tests
// hold every detail of each): a match stands out.
func TestWhitelistMatchRecordText(t *testing.T) {
	for _, c := range []struct {
		format record.Format
		want   []string
	}{
		{record.Text, []string{" MATCH    27.45     7% AK-47 | Redline (Field-Tested) entry=#0 latency=", "µs id=VHJhZGU6MzI5OTM0NzI\n"}},
		{record.Color, []string{"\x1b[1;30;42mMATCH\x1b[0m    27.45     7% \x1b[1;32mAK-47 | Redline (Field-Tested)\x1b[0m"}},
	} {
		var out bytes.Buffer
		w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), Out: &out, Format: c.format})
		wlRun(t, w, wlTrade("VHJhZGU6MzI5OTM0NzI", 7, 27.45), wlTrade("no", 7, 50))
		for _, want := range c.want {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v output lacks %q:\n%q", c.format, want, out.String())
			}
		}
		if n := strings.Count(out.String(), "\n"); n != 1 {
			t.Errorf("printed %d lines, want 1:\n%s", n, out.String())
		}
	}
}

// TestWhitelistAlerts checks that matches reach the alert queue, that a full
// queue drops them without blocking and counts them, and that a streak of
// drops is logged once when it begins and once when it ends.
func TestWhitelistAlerts(t *testing.T) {
	rec, log := logtest.New()
	w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), Log: log, Alerts: 1})
	wlHandle(t, w, wlTrade("a", 1, 10))               // queued
	wlHandle(t, w, wlTrade("b", 1, 10))               // dropped: the queue holds a
	wlHandle(t, w, wlTrade("c", 1, 10))               // dropped
	wlHandle(t, w, messages.Trade{MarketName: "AWP"}) // no match: no alert
	if got := w.Stats().AlertsDropped; got != 2 {
		t.Errorf("AlertsDropped = %d, want 2", got)
	}
	m := <-w.Alerts()
	if m.Trade.ID != "a" || m.EntryIndex != 0 || m.Entry != "#0 AK-47 | Redline, Field-Tested, max markup 8%, price 0-40" || m.Latency() < 0 {
		t.Errorf("first alert = %+v, want trade a, entry 0", m)
	}
	wlHandle(t, w, wlTrade("d", 1, 10)) // queued, the streak ends
	wlClose(t, w)
	var ids []string
	for m := range w.Alerts() { // Run closed it
		ids = append(ids, m.Trade.ID)
	}
	if !slices.Equal(ids, []string{"d"}) {
		t.Errorf("alerts left after Run = %q, want [d]", ids)
	}

	full := rec.Matching("alert queue full, dropping alerts")
	if len(full) != 1 || full[0].Level != slog.LevelWarn || full[0].String("capacity") != "1" {
		t.Errorf("drop warnings = %+v, want one warning with capacity 1; logged:\n%s", full, rec.Dump())
	}
	caught := rec.Matching("alerts caught up")
	if len(caught) != 1 || caught[0].String("dropped") != "2" {
		t.Errorf("caught-up records = %+v, want one with dropped=2; logged:\n%s", caught, rec.Dump())
	}
}

// TestWhitelistAlertQueuesEachGetEveryMatch checks that with two alert
// sinks (Discord and the NATS publisher) each queue gets every match, and a
// full one drops only its own.
func TestWhitelistAlertQueuesEachGetEveryMatch(t *testing.T) {
	w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), Alerts: 2, AlertQueues: 2})
	if w.AlertQueue(2) != nil || w.AlertQueue(-1) != nil {
		t.Fatal("AlertQueue out of range is not nil")
	}
	first, second := w.AlertQueue(0), w.AlertQueue(1)
	wlHandle(t, w, wlTrade("a", 1, 10))
	wlHandle(t, w, wlTrade("b", 1, 10))
	if m := <-first; m.Trade.ID != "a" {
		t.Errorf("first queue's first alert is %s, want a", m.Trade.ID)
	}
	wlHandle(t, w, wlTrade("c", 1, 10)) // the first queue takes it, the second is full
	wlClose(t, w)
	var got [2][]string
	for i, q := range []<-chan messages.Match{first, second} {
		for m := range q {
			got[i] = append(got[i], m.Trade.ID)
		}
	}
	if !slices.Equal(got[0], []string{"b", "c"}) || !slices.Equal(got[1], []string{"a", "b"}) {
		t.Errorf("queues got %q and %q, want [b c] (a read before) and [a b]", got[0], got[1])
	}
	if d := w.Stats().AlertsDropped; d != 1 {
		t.Errorf("AlertsDropped = %d, want 1", d)
	}
}

func TestWhitelistNoAlertQueue(t *testing.T) {
	w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile)})
	if w.Alerts() != nil {
		t.Fatal("Alerts() is not nil with Alerts: 0")
	}
	wlRun(t, w, wlTrade("a", 1, 10))
	if got := w.Stats(); got.Matched != 1 || got.AlertsDropped != 0 {
		t.Errorf("Stats() = %+v, want 1 matched and nothing dropped", got)
	}
}

func TestWhitelistRunReturnsCtxErrAndClosesAlerts(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), Alerts: 4})
	if err := w.Run(ctx, make(chan messages.Match)); !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want context.Canceled", err)
	}
	select {
	case _, ok := <-w.Alerts():
		if ok {
			t.Error("the alert queue held a match")
		}
	default:
		t.Error("the alert queue is open after Run returned")
	}
}

// TestWhitelistDrainsEveryTrade checks Run decides every trade taken before in
// closed.
func TestWhitelistDrainsEveryTrade(t *testing.T) {
	w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), Alerts: 100})
	var trades []messages.Trade
	for i := range 50 {
		trades = append(trades, wlTrade("t", float64(i%10), 10)) // markups 0-9: 0-8 match, 9 does not
	}
	wlRun(t, w, trades...)
	s := w.Stats()
	if s.Matched != 45 || s.Rejected[whitelist.MarkupTooHigh] != 5 {
		t.Errorf("Stats() = %+v, want 45 matched and 5 rejected for markup", s)
	}
	n := 0
	for range w.Alerts() {
		n++
	}
	if n != 45 {
		t.Errorf("%d alerts, want 45", n)
	}
}

func TestWhitelistFlushFailureWarnsOncePerStreak(t *testing.T) {
	rec, log := logtest.New()
	fail := true
	w := NewWhitelist(WhitelistConfig{
		List: wlList(t, wlFile),
		Log:  log,
		Flush: func() error {
			if fail {
				return io.ErrClosedPipe
			}
			return nil
		},
	})
	wlHandle(t, w, wlTrade("a", 1, 10))
	wlHandle(t, w, wlTrade("b", 1, 10))
	fail = false
	wlHandle(t, w, wlTrade("c", 1, 10))
	warns := rec.Matching("cannot flush match records")
	if len(warns) != 1 || !strings.Contains(warns[0].String("err"), "closed pipe") {
		t.Errorf("flush warnings = %+v, want one naming the error; logged:\n%s", warns, rec.Dump())
	}
	if got := len(rec.Matching("match records flush again")); got != 1 {
		t.Errorf("%d recovery records, want 1; logged:\n%s", got, rec.Dump())
	}
}

func TestWhitelistSwap(t *testing.T) {
	w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), Alerts: 10})
	wlHandle(t, w, wlTrade("before", 1, 10))
	w.Swap(wlList(t, `{"items": [{"name": "AWP | Asiimov"}, {"name": "AK-47 | Vulcan"}, {"name": "M4A4 | Howl"}]}`))
	wlHandle(t, w, wlTrade("after", 1, 10))
	if s := w.Stats(); s.Matched != 1 || s.Rejected[whitelist.NoEntry] != 1 || s.Entries != 3 {
		t.Errorf("Stats() = %+v, want the trade before Swap matched, the one after not, and 3 entries", s)
	}
}

// TestWhitelistRejectionDoesNotAllocate checks the rejection path and the
// decision itself with info-level logging, as in production.
func TestWhitelistRejectionDoesNotAllocate(t *testing.T) {
	w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Alerts: 1})
	ctx := t.Context()
	for _, tr := range []messages.Trade{wlTrade("dear", 50, 10), {MarketName: "AWP | Asiimov (Field-Tested)", Wear: messages.WearFieldTested}} {
		if got := testing.AllocsPerRun(100, func() { w.Decide(ctx, &tr) }); got != 0 {
			t.Errorf("deciding %q at %v%% allocates %v times, want 0", tr.MarketName, tr.MarkupPercent, got)
		}
	}
}

func TestWhitelistDebugLogsRejections(t *testing.T) {
	rec, log := logtest.New()
	w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), Log: log})
	wlRun(t, w, wlTrade("dear", 50, 10))
	got := rec.Matching("trade rejected")
	if len(got) != 1 || got[0].Level != slog.LevelDebug || got[0].String("reason") != "markup_too_high" || got[0].String("entry") != "0" {
		t.Errorf("rejection records = %+v, want one debug record with reason markup_too_high, entry 0", got)
	}

	var info bytes.Buffer
	w = NewWhitelist(WhitelistConfig{List: wlList(t, wlFile), Log: slog.New(slog.NewTextHandler(&info, nil))})
	wlRun(t, w, wlTrade("dear", 50, 10))
	if bytes.Contains(info.Bytes(), []byte("trade rejected")) {
		t.Errorf("an info-level log says a rejection: %s", info.Bytes())
	}
}

func BenchmarkWhitelistDecide(b *testing.B) {
	var buf bytes.Buffer
	w := NewWhitelist(WhitelistConfig{List: wlList(b, wlFile), Out: &buf, Alerts: 1})
	ctx := b.Context()
	for _, c := range []struct {
		name string
		t    messages.Trade
	}{
		{"rejected", wlTrade("dear", 50, 10)},
		{"matched", wlTrade("ok", 1, 10)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if m, ok := w.Decide(ctx, &c.t); ok {
					w.act(ctx, &m)
				}
				buf.Reset()
			}
		})
	}
}

// Decide gives the decision's time whether or not the trade matched: the
// hub's decision latency is taken from it.
func TestWhitelistDecideGivesTheDecisionTimeEitherWay(t *testing.T) {
	w := NewWhitelist(WhitelistConfig{List: wlList(t, wlFile)})
	for _, tt := range []struct {
		name  string
		trade messages.Trade
		match bool
	}{
		{"a match", wlTrade("ok", 3, 10), true},
		{"a rejection", wlTrade("dear", 3, 10_000), false},
	} {
		before := time.Now()
		m, ok := w.Decide(t.Context(), &tt.trade)
		after := time.Now()
		if ok != tt.match {
			t.Fatalf("%s: matched %t, want %t", tt.name, ok, tt.match)
		}
		if m.DecidedAt.Before(before) || m.DecidedAt.After(after) {
			t.Errorf("%s: DecidedAt %v, want between %v and %v", tt.name, m.DecidedAt, before, after)
		}
	}
	wlClose(t, w)
}
