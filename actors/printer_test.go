package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/internal/output"
	"github.com/rollsniper/rollsniper/internal/record"
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

// printedAt is the time of the printer tests' records: the clock stands.
var printedAt = time.Date(2026, 11, 28, 18, 40, 2, 113_000_000, time.UTC)

// stoppedClock is the printer tests' clock.
func stoppedClock() time.Time { return printedAt }

// printerPrint runs a printer writing in format over trades, checks that it
// returns nil once in closes and counted every trade, and returns what it
// wrote.
func printerPrint(t *testing.T, format record.Format, trades []messages.Trade) string {
	t.Helper()
	var out bytes.Buffer
	p := NewPrinter(&out, format, nil)
	p.SetClock(stoppedClock)
	in := make(chan messages.Trade, len(trades))
	for _, tr := range trades {
		in <- tr
	}
	close(in)
	ctx := printerCtx(t)
	if err := printerWait(ctx, t, printerRun(ctx, p, in)); err != nil {
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
	out := printerPrint(t, record.JSON, printerTrades)

	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(printerTrades) {
		t.Fatalf("printed %d lines, want %d:\n%s", len(lines), len(printerTrades), out)
	}
	wantKeys := []string{"time", "level", "msg", "id", "markup", "price", "can_join", "status", "item", "stattrak", "wear", "souvenir"}
	// Numbers are compared as the text printed: 11.98, not 11.980000000000002.
	want := []map[string]any{
		{"time": "2026-11-28T18:40:02.113Z", "level": "INFO", "msg": "trade", "id": "VHJhZGU6MzQ5MjEwMjA", "markup": json.Number("12"), "price": json.Number("617.12"),
			"can_join": false, "status": "LISTED", "item": "★ Bowie Knife | Gamma Doppler Phase 1 (Factory New)", "stattrak": false,
			"wear": "Factory New", "souvenir": false},
		{"time": "2026-11-28T18:40:02.113Z", "level": "INFO", "msg": "trade", "id": "VHJhZGU6MzI5OTM0NzI", "markup": json.Number("11.98"), "price": json.Number("27.45"),
			"can_join": true, "status": "LISTED", "item": "StatTrak™ AK-47 | Redline (Field-Tested)", "stattrak": true,
			"wear": "Field-Tested", "souvenir": false},
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
		if !maps.Equal(got, want[i]) {
			t.Errorf("line %d = %v, want %v", i, got, want[i])
		}
	}
}

// The printer writes the format it was given (internal/record's golden tests
// hold every detail of each).
func TestPrinterText(t *testing.T) {
	for _, c := range []struct {
		format record.Format
		want   string
	}{
		{record.Text, "18:40:02 trade   617.12    12% ★ Bowie Knife | Gamma Doppler Phase 1 (Factory New) can_join=false\n" +
			"18:40:02 trade    27.45 11.98% StatTrak™ AK-47 | Redline (Field-Tested)\n"},
		{record.Color, "\x1b[2m18:40:02\x1b[0m \x1b[2mtrade\x1b[0m   617.12    12% \x1b[1m★ Bowie Knife | Gamma Doppler Phase 1 (Factory New)\x1b[0m \x1b[2mcan_join=\x1b[0m\x1b[33mfalse\x1b[0m\n" +
			"\x1b[2m18:40:02\x1b[0m \x1b[2mtrade\x1b[0m    27.45 11.98% \x1b[1mStatTrak™ AK-47 | Redline (Field-Tested)\x1b[0m\n"},
	} {
		if got := printerPrint(t, c.format, printerTrades); got != c.want {
			t.Errorf("%v records:\n%q\nwant\n%q", c.format, got, c.want)
		}
	}
}

func TestPrinterRunReturnsCtxErrWhenCancelled(t *testing.T) {
	deadline := printerCtx(t)
	ctx, cancel := context.WithCancel(deadline)
	cancel()
	p := NewPrinter(io.Discard, record.JSON, nil)
	if err := printerWait(deadline, t, printerRun(ctx, p, make(chan messages.Trade))); !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want context.Canceled", err)
	}
	if got := p.Printed(); got != 0 {
		t.Errorf("Printed() = %d, want 0", got)
	}
}

// outputPrinter is a printer as the program builds it, writing JSON (on a
// stopped clock, so that two runs print the same bytes) to stdout's writer,
// which runs until the test ends and writes to w, and flushing with flush
// (nil: the writer's Flush).
func outputPrinter(t *testing.T, w io.Writer, flush func(*Output) func() error) (*Printer, *Output) {
	out := NewOutput("stdout", w, 1<<20, false, "trade")
	startOutput(t, out)
	f := out.Flush
	if flush != nil {
		f = flush(out)
	}
	p := NewPrinter(out.Stream("trade"), record.JSON, f)
	p.SetClock(stoppedClock)
	return p, out
}

// printerDeadline bounds every wait in the printer's tests: a printer that
// blocks fails the test with a message instead of hanging it.
const printerDeadline = 10 * time.Second

// printerCtx returns a context that ends after printerDeadline.
func printerCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), printerDeadline)
	t.Cleanup(cancel)
	return ctx
}

// printerRun runs p over in on a goroutine and returns its result channel.
func printerRun(ctx context.Context, p *Printer, in <-chan messages.Trade) <-chan error {
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, in) }()
	return done
}

// printerWait returns Run's result, or fails the test if it does not come
// before ctx ends.
func printerWait(ctx context.Context, t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		t.Fatal("the printer's Run did not return")
		return nil
	}
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
	unbuffered := NewPrinter(plain, record.JSON, nil)
	unbuffered.SetClock(stoppedClock)
	batched := new(logtest.Writes)
	buffered, out := outputPrinter(t, batched, nil)

	ctx := printerCtx(t)
	for _, p := range []*Printer{unbuffered, buffered} {
		in := make(chan messages.Trade, n)
		for _, tr := range trades {
			in <- tr
		}
		close(in)
		if err := printerWait(ctx, t, printerRun(ctx, p, in)); err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
	}
	if err := out.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	if got := len(plain.Sizes()); got != n {
		t.Errorf("unbuffered printer wrote %d times, want one write a trade (%d)", got, n)
	}
	// Writes carry a batch or more each, but for one that a write in
	// progress may leave behind now and then.
	total := len(plain.String())
	maxWrites := 2 * (total/output.BatchSize + 1)
	if got := len(batched.Sizes()); got > maxWrites {
		t.Errorf("batched printer wrote %d times for %d trades (%d bytes), want at most %d", got, n, total, maxWrites)
	}
	if got, want := batched.String(), plain.String(); got != want {
		t.Errorf("batched output differs from unbuffered output:\n got %.300s\nwant %.300s", got, want)
	}
	if got := out.Stats().Buffered; got != 0 {
		t.Errorf("%d bytes still buffered after Run returned and a Sync, want 0", got)
	}
}

// A single trade on a quiet feed is written as soon as it is printed: the
// test waits for the write with no timer and without closing the queue.
func TestPrinterFlushesALoneTradeAtOnce(t *testing.T) {
	w := logtest.NewWrites()
	p, _ := outputPrinter(t, w, nil)
	in := make(chan messages.Trade)
	deadline := printerCtx(t)
	ctx, cancel := context.WithCancel(deadline)
	done := printerRun(ctx, p, in)

	for i, tr := range outputTrades(3) {
		select {
		case in <- tr:
		case <-deadline.Done():
			t.Fatalf("the printer did not take trade %d", i)
		}
		select {
		case <-w.Wrote():
		case <-deadline.Done():
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
	if err := printerWait(deadline, t, done); !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want context.Canceled", err)
	}
}

// Whatever way Run ends, it flushes what it printed on the way out.
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
			w := logtest.NewWrites()
			// The in-queue is unbuffered, so Run flushes once after each
			// trade; those flushes are made to do nothing, so that only the
			// one on the way out can ask for a write.
			const n = 5
			var calls atomic.Int32
			p, _ := outputPrinter(t, w, func(out *Output) func() error {
				return func() error {
					if calls.Add(1) <= n {
						return nil
					}
					return out.Flush()
				}
			})
			in := make(chan messages.Trade)
			deadline := printerCtx(t)
			ctx, cancel := context.WithCancel(deadline)
			defer cancel()
			done := printerRun(ctx, p, in)
			for i, tr := range outputTrades(n) {
				select {
				case in <- tr:
				case <-deadline.Done():
					t.Fatalf("the printer did not take trade %d", i)
				}
			}
			if got := len(w.Sizes()); got != 0 {
				t.Fatalf("%d writes before Run stopped, want 0", got)
			}
			tt.stop(cancel, in)
			if err := printerWait(deadline, t, done); !errors.Is(err, tt.wantErr) {
				t.Errorf("Run() = %v, want %v", err, tt.wantErr)
			}
			select {
			case <-w.Wrote(): // nobody but the printer's last flush asked for it
			case <-deadline.Done():
				t.Fatal("nothing was written after Run returned: no flush on the way out")
			}
			if got := strings.Count(w.String(), "\n"); got != n {
				t.Errorf("%d lines written after Run returned, want %d", got, n)
			}
			if got := calls.Load(); got != n+1 {
				t.Errorf("flush called %d times, want %d (once a trade, once on the way out)", got, n+1)
			}
		})
	}
}

// Once stdout's writer has failed, the printer's next flush says so and Run
// ends with the error.
func TestPrinterReturnsFlushError(t *testing.T) {
	broken := errors.New("broken pipe")
	p, out := outputPrinter(t, failingWrites(broken), nil)
	in := make(chan messages.Trade) // a send returns once the trade before is printed
	ctx := printerCtx(t)
	done := printerRun(ctx, p, in)
	in <- printerTrades[0]
	in <- printerTrades[1]
	if err := out.Sync(ctx); !errors.Is(err, broken) {
		t.Fatalf("Sync = %v, want %v", err, broken)
	}
	var err error
	select { // the printer may have learnt of the error with the second trade
	case in <- printerTrades[0]:
		err = printerWait(ctx, t, done)
	case err = <-done:
	}
	if !errors.Is(err, broken) {
		t.Errorf("Run() = %v, want an error wrapping %v", err, broken)
	}
}

// failingWrites is a stdout whose every write fails with err.
func failingWrites(err error) *logtest.Writes {
	w := new(logtest.Writes)
	w.Fail(err)
	return w
}
