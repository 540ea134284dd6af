package actors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/messages"
)

// outputWriter is the fake stdout under an Output: it keeps every write
// separately and signals each one.
type outputWriter struct {
	mu     sync.Mutex
	writes [][]byte
	err    error         // returned by every write when set
	wrote  chan struct{} // one value per write, when not nil (never blocks)
}

func (w *outputWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.writes = append(w.writes, bytes.Clone(p))
	if w.wrote != nil {
		select {
		case w.wrote <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// sizes returns the length of every write, in order.
func (w *outputWriter) sizes() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]int, len(w.writes))
	for i, b := range w.writes {
		out[i] = len(b)
	}
	return out
}

func (w *outputWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(bytes.Join(w.writes, nil))
}

// outputLogger is the trade logger the program builds, JSON without the time
// so that two runs print the same bytes.
func outputLogger(w *outputWriter) (*slog.Logger, *Output) {
	out := NewOutput(w, 0)
	return slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{ReplaceAttr: outputNoTime})), out
}

func outputNoTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
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

func TestOutputWrites(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		records    []string
		flush      bool
		wantWrites []int
	}{
		{"buffered until flushed", 10, []string{"abc", "def"}, false, []int{}},
		{"flush writes once", 10, []string{"abc", "def"}, true, []int{6}},
		{"full buffer written before the record that does not fit", 10, []string{"abcd", "efgh", "ijk"}, true, []int{8, 3}},
		{"exactly full stays buffered", 6, []string{"abc", "def"}, false, []int{}},
		{"record larger than the buffer goes straight through", 4, []string{"ab", "cdefgh", "i"}, true, []int{2, 6, 1}},
		{"flush of nothing writes nothing", 10, nil, true, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w outputWriter
			o := NewOutput(&w, tt.size)
			for _, r := range tt.records {
				n, err := o.Write([]byte(r))
				if n != len(r) || err != nil {
					t.Fatalf("Write(%q) = %d, %v, want %d, nil", r, n, err, len(r))
				}
			}
			if tt.flush {
				if err := o.Flush(); err != nil {
					t.Fatalf("Flush() = %v", err)
				}
				if got := o.Buffered(); got != 0 {
					t.Errorf("Buffered() after Flush = %d, want 0", got)
				}
			}
			if got := w.sizes(); !slices.Equal(got, tt.wantWrites) {
				t.Errorf("write sizes = %v, want %v", got, tt.wantWrites)
			}
			if tt.flush {
				if got, want := w.String(), strings.Join(tt.records, ""); got != want {
					t.Errorf("wrote %q, want %q", got, want)
				}
			}
		})
	}
}

func TestOutputKeepsTheFirstError(t *testing.T) {
	broken := errors.New("broken pipe")
	w := &outputWriter{err: broken}
	o := NewOutput(w, 8)
	if _, err := o.Write([]byte("abc")); err != nil {
		t.Fatalf("buffered Write() = %v, want nil", err)
	}
	if err := o.Flush(); !errors.Is(err, broken) {
		t.Errorf("Flush() = %v, want %v", err, broken)
	}
	w.mu.Lock()
	w.err = nil // the writer recovers; the Output does not pretend it did
	w.mu.Unlock()
	if _, err := o.Write([]byte("d")); !errors.Is(err, broken) {
		t.Errorf("Write() after a failed flush = %v, want %v", err, broken)
	}
	if err := o.Flush(); !errors.Is(err, broken) {
		t.Errorf("second Flush() = %v, want %v", err, broken)
	}
}

// A burst, one the printer finds already queued, goes out in a few writes
// holding the same bytes an unbuffered printer writes.
func TestPrinterBatchesABurst(t *testing.T) {
	const n = 2000
	trades := outputTrades(n)

	var plain outputWriter
	unbuffered := NewPrinter(slog.New(slog.NewJSONHandler(&plain, &slog.HandlerOptions{ReplaceAttr: outputNoTime})), nil)
	var batched outputWriter
	log, out := outputLogger(&batched)
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

	if got := len(plain.sizes()); got != n {
		t.Errorf("unbuffered printer wrote %d times, want one write a trade (%d)", got, n)
	}
	// Every write but the last carries a nearly full buffer.
	total := len(plain.String())
	maxWrites := total/(DefaultOutputSize-512) + 1
	if got := len(batched.sizes()); got > maxWrites {
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
	w := &outputWriter{wrote: make(chan struct{}, 1)}
	log, out := outputLogger(w)
	p := NewPrinter(log, out.Flush)
	in := make(chan messages.Trade)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, in) }()

	for i, tr := range outputTrades(3) {
		in <- tr
		select {
		case <-w.wrote:
		case <-time.After(10 * time.Second): // a guard against a hang, not a timing
			t.Fatalf("trade %d was not written while the queue stood empty", i)
		}
		if got := len(w.sizes()); got != i+1 {
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
			var w outputWriter
			log, out := outputLogger(&w)
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
			if got := len(w.sizes()); got != 0 {
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
	log, out := outputLogger(&outputWriter{err: broken})
	p := NewPrinter(log, out.Flush)
	in := make(chan messages.Trade, 1)
	in <- printerTrades[0]
	if err := p.Run(t.Context(), in); !errors.Is(err, broken) {
		t.Errorf("Run() = %v, want an error wrapping %v", err, broken)
	}
}

// Records written at once by several writers (the printer, the whitelist's
// match records) come out whole, never spliced into each other.
func TestOutputConcurrentWritersDoNotInterleave(t *testing.T) {
	const writers, records = 4, 500
	var w outputWriter
	out := NewOutput(&w, 1024)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			log := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{ReplaceAttr: outputNoTime}))
			for j := range records {
				log.Info("record", "writer", i, "n", j, "pad", strings.Repeat(string(rune('a'+i)), 40+j%50))
				if j%7 == 0 {
					if err := out.Flush(); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if err := out.Flush(); err != nil {
		t.Fatal(err)
	}

	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	if len(lines) != writers*records {
		t.Fatalf("%d lines, want %d", len(lines), writers*records)
	}
	next := make([]int, writers) // each writer's records arrive in its order
	for _, line := range lines {
		var i, j int
		var pad string
		if _, err := fmt.Sscanf(line, `{"level":"INFO","msg":"record","writer":%d,"n":%d,"pad":%q}`, &i, &j, &pad); err != nil {
			t.Fatalf("spliced or malformed record %q: %v", line, err)
		}
		if want := strings.Repeat(string(rune('a'+i)), 40+j%50); pad != want || j != next[i] {
			t.Fatalf("record %q out of order or spliced: want n=%d", line, next[i])
		}
		next[i]++
	}
}
