package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/internal/output"
	"github.com/rollsniper/rollsniper/messages"
)

// printerTrades are a real listing from the capture and a StatTrak one whose
// markup has no exact float64.
var printerTrades = []messages.Trade{
	{
		ID:            "VHJhZGU6MzQ5MjEwMjA",
		Status:        "LISTED",
		MarkupPercent: 12,
		TotalValue:    617.12,
		MarketName:    "★ Bowie Knife | Gamma Doppler Phase 1 (Factory New)",
		Brand:         "★ Bowie Knife",
		SkinName:      "Gamma Doppler Phase 1",
		Wear:          messages.WearFactoryNew,
		Items:         1,
	},
	{
		ID:            "VHJhZGU6MzI5OTM0NzI",
		Status:        "LISTED",
		MarkupPercent: 11.98,
		TotalValue:    27.45,
		CanJoin:       true,
		MarketName:    "StatTrak™ AK-47 | Redline (Field-Tested)",
		Brand:         "AK-47",
		SkinName:      "Redline",
		Wear:          messages.WearFieldTested,
		StatTrak:      true,
		Items:         1,
	},
}

// printerPrint runs a printer writing to h over trades, checks that it returns
// nil once in closes and counted every trade, and returns what it wrote.
func printerPrint(t *testing.T, h func(*bytes.Buffer) slog.Handler, trades []messages.Trade) string {
	t.Helper()
	var out bytes.Buffer
	p := NewPrinter(slog.New(h(&out)), nil)
	in := make(chan messages.Trade, len(trades))
	for _, tr := range trades {
		in <- tr
	}
	close(in)
	if err := p.Run(t.Context(), in); err != nil {
		t.Fatalf("Run() = %v, want nil once in is closed", err)
	}
	if got := p.Printed(); got != uint64(len(trades)) {
		t.Errorf("Printed() = %d, want %d", got, len(trades))
	}
	return out.String()
}

// printerKeys returns the keys of the JSON object line, in order.
func printerKeys(t *testing.T, line string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	var keys []string
	if _, err := dec.Token(); err != nil { // {
		t.Fatalf("%s: %v", line, err)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		keys = append(keys, key.(string))
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	return keys
}

func TestPrinterJSON(t *testing.T) {
	out := printerPrint(t, func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }, printerTrades)

	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(printerTrades) {
		t.Fatalf("printed %d lines, want %d:\n%s", len(lines), len(printerTrades), out)
	}
	wantKeys := []string{"time", "level", "msg", "id", "markup", "price", "can_join", "status", "item", "stattrak"}
	// Numbers are compared as the text printed: 11.98, not 11.980000000000002.
	want := []map[string]any{
		{"level": "INFO", "msg": "trade", "id": "VHJhZGU6MzQ5MjEwMjA", "markup": json.Number("12"), "price": json.Number("617.12"),
			"can_join": false, "status": "LISTED", "item": "★ Bowie Knife | Gamma Doppler Phase 1 (Factory New)", "stattrak": false},
		{"level": "INFO", "msg": "trade", "id": "VHJhZGU6MzI5OTM0NzI", "markup": json.Number("11.98"), "price": json.Number("27.45"),
			"can_join": true, "status": "LISTED", "item": "StatTrak™ AK-47 | Redline (Field-Tested)", "stattrak": true},
	}
	for i, line := range lines {
		if got := printerKeys(t, line); !slices.Equal(got, wantKeys) {
			t.Errorf("line %d keys = %q, want %q", i, got, wantKeys)
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var got map[string]any
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		delete(got, "time")
		if !maps.Equal(got, want[i]) {
			t.Errorf("line %d = %v, want %v", i, got, want[i])
		}
	}
}

func TestPrinterText(t *testing.T) {
	out := printerPrint(t, func(b *bytes.Buffer) slog.Handler { return tint.NewTextHandler(b, &tint.Options{NoColor: true}) }, printerTrades[1:])

	want := []string{
		" INF trade ",
		"id=VHJhZGU6MzI5OTM0NzI",
		"markup=11.98",
		"price=27.45",
		"can_join=true",
		"status=LISTED",
		`item="StatTrak™ AK-47 | Redline (Field-Tested)"`,
		"stattrak=true",
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 1 {
		t.Errorf("printed %d lines, want 1:\n%s", n, out)
	}
}

func TestPrinterRunReturnsCtxErrWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p := NewPrinter(slog.New(slog.DiscardHandler), nil)
	if err := p.Run(ctx, make(chan messages.Trade)); !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want context.Canceled", err)
	}
	if got := p.Printed(); got != 0 {
		t.Errorf("Printed() = %d, want 0", got)
	}
}

// outputLogger is the trade logger the program builds, JSON without the time
// so that two runs print the same bytes.
func outputLogger(w io.Writer) (*slog.Logger, *output.Writer) {
	out := output.New(w, 0)
	return slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{ReplaceAttr: outputNoTime})), out
}

// outputTrades returns n distinct trades.
func outputTrades(n int) []messages.Trade {
	out := make([]messages.Trade, n)
	for i := range out {
		t := printerTrades[i%len(printerTrades)]
		t.ID = fmt.Sprintf("VHJhZGU6%08d", i)
		out[i] = t
	}
	return out
}

// A burst, one the printer finds already queued, goes out in a few writes
// holding the same bytes an unbuffered printer writes.
func TestPrinterBatchesABurst(t *testing.T) {
	const n = 2000
	trades := outputTrades(n)

	plain := new(logtest.Writes)
	unbuffered := NewPrinter(slog.New(slog.NewJSONHandler(plain, &slog.HandlerOptions{ReplaceAttr: outputNoTime})), nil)
	batched := new(logtest.Writes)
	log, out := outputLogger(batched)
	buffered := NewPrinter(log, out.Flush)

	for _, p := range []*Printer{unbuffered, buffered} {
		in := make(chan messages.Trade, n)
		for _, tr := range trades {
			in <- tr
		}
		close(in)
		if err := p.Run(t.Context(), in); err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
	}

	if got := len(plain.Sizes()); got != n {
		t.Errorf("unbuffered printer wrote %d times, want one write a trade (%d)", got, n)
	}
	// Every write but the last carries a nearly full buffer.
	total := len(plain.String())
	maxWrites := total/(output.DefaultSize-512) + 1
	if got := len(batched.Sizes()); got > maxWrites {
		t.Errorf("batched printer wrote %d times for %d trades (%d bytes), want at most %d", got, n, total, maxWrites)
	}
	if got, want := batched.String(), plain.String(); got != want {
		t.Errorf("batched output differs from unbuffered output:\n got %.300s\nwant %.300s", got, want)
	}
	if got := out.Buffered(); got != 0 {
		t.Errorf("%d bytes still buffered after Run returned, want 0", got)
	}
}

// A single trade on a quiet feed is written as soon as it is printed: the
// test waits for the write with no timer and without closing the queue.
func TestPrinterFlushesALoneTradeAtOnce(t *testing.T) {
	w := logtest.NewWrites()
	log, out := outputLogger(w)
	p := NewPrinter(log, out.Flush)
	in := make(chan messages.Trade)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, in) }()

	for i, tr := range outputTrades(3) {
		in <- tr
		select {
		case <-w.Wrote():
		case <-time.After(10 * time.Second): // a guard against a hang, not a timing
			t.Fatalf("trade %d was not written while the queue stood empty", i)
		}
		if got := len(w.Sizes()); got != i+1 {
			t.Errorf("after trade %d: %d writes, want %d", i, got, i+1)
		}
		if got := strings.Count(w.String(), "\n"); got != i+1 {
			t.Errorf("after trade %d: %d lines written, want %d", i, got, i+1)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want context.Canceled", err)
	}
}

// Whatever way Run ends, what it printed is flushed.
func TestPrinterFlushesWhenItStops(t *testing.T) {
	tests := []struct {
		name    string
		stop    func(cancel context.CancelFunc, in chan messages.Trade)
		wantErr error
	}{
		{"queue closed", func(_ context.CancelFunc, in chan messages.Trade) { close(in) }, nil},
		{"context cancelled", func(cancel context.CancelFunc, _ chan messages.Trade) { cancel() }, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := new(logtest.Writes)
			log, out := outputLogger(w)
			// The in-queue is unbuffered, so Run flushes once after each
			// trade; those flushes are made to do nothing, so that only the
			// one on the way out can write.
			const n = 5
			var calls atomic.Int32
			flush := func() error {
				if calls.Add(1) <= n {
					return nil
				}
				return out.Flush()
			}
			p := NewPrinter(log, flush)
			in := make(chan messages.Trade)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx, in) }()
			for _, tr := range outputTrades(n) {
				in <- tr
			}
			if got := len(w.Sizes()); got != 0 {
				t.Fatalf("%d writes before Run stopped, want 0", got)
			}
			tt.stop(cancel, in)
			if err := <-done; !errors.Is(err, tt.wantErr) {
				t.Errorf("Run() = %v, want %v", err, tt.wantErr)
			}
			if got := strings.Count(w.String(), "\n"); got != n {
				t.Errorf("%d lines written when Run returned, want %d", got, n)
			}
			if got := calls.Load(); got != n+1 {
				t.Errorf("flush called %d times, want %d (once a trade, once on the way out)", got, n+1)
			}
		})
	}
}

func TestPrinterReturnsFlushError(t *testing.T) {
	broken := errors.New("broken pipe")
	log, out := outputLogger(failingWrites(broken))
	p := NewPrinter(log, out.Flush)
	in := make(chan messages.Trade, 1)
	in <- printerTrades[0]
	if err := p.Run(t.Context(), in); !errors.Is(err, broken) {
		t.Errorf("Run() = %v, want an error wrapping %v", err, broken)
	}
}

// failingWrites is a stdout whose every write fails with err.
func failingWrites(err error) *logtest.Writes {
	w := new(logtest.Writes)
	w.Fail(err)
	return w
}

func outputNoTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}
