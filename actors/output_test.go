package actors

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/internal/output"
)

// blockedWriter is a file nobody reads: every write waits until open is
// closed, then is kept.
type blockedWriter struct {
	open   chan struct{}
	writes *logtest.Writes
}

func newBlockedWriter() *blockedWriter {
	return &blockedWriter{open: make(chan struct{}), writes: logtest.NewWrites()}
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	<-w.open
	return w.writes.Write(p)
}

// startOutput runs o until the test ends, and returns Run's result channel.
func startOutput(t *testing.T, o *Output) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		done <- o.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return done
}

// The records kept while the file stalled are written in order once it takes
// writes again; the ones that did not fit are counted, by stream, and
// reported once, on the first write that goes through.
func TestOutputKeepsWhatFitsAndCountsTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		file := newBlockedWriter()
		rec, log := logtest.New()
		o := NewOutput("stdout", file, 30, false, "trade", "match")
		o.SetLog(log, true)
		startOutput(t, o)
		trades, matches := o.Stream("trade"), o.Stream("match")

		io.WriteString(trades, "stuck\n") // taken by the first write, which blocks
		o.Flush()
		synctest.Wait()
		start := time.Now()
		for _, r := range []string{"t1----\n", "t2----\n", "t3----\n", "t4----\n", "t5----\n"} {
			io.WriteString(trades, r) // 7 bytes each: four fit in 30
		}
		io.WriteString(matches, "m1\n") // 28 + 3 > 30: dropped
		if took := time.Since(start); took != 0 {
			t.Errorf("writing to a stalled output took %v, want no wait", took)
		}
		s := o.Stats()
		if s.Dropped["trade"] != 1 || s.Dropped["match"] != 1 || s.Buffered != 28 {
			t.Errorf("stats %+v, want 1 trade and 1 match dropped, 28 bytes buffered", s)
		}
		if w := rec.Matching("stdout is not keeping up: dropping records until it does"); len(w) != 1 {
			t.Errorf("%d early warnings, want one for the streak:\n%s", len(w), rec.Dump())
		}

		close(file.open)
		if err := o.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got, want := file.writes.String(), "stuck\nt1----\nt2----\nt3----\nt4----\n"; got != want {
			t.Errorf("wrote %q, want %q", got, want)
		}
		r := rec.WaitCount(context.Background(), t, "stdout did not keep up: records were dropped (the counts by stream are totals)", 1)[0]
		if r.String("dropped") != "2" || r.String("trade") != "1" || r.String("match") != "1" {
			t.Errorf("report %v, want dropped=2 trade=1 match=1", r.Attrs)
		}
	})
}

// A non-prompt output writes when flushed, or once a batch is waiting; a
// prompt one writes every record as it comes. Either way a burst written
// while a write is in progress goes out in one write.
func TestOutputWritesWhenAsked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, prompt := range []bool{false, true} {
			w := logtest.NewWrites()
			o := NewOutput("stdout", w, 1<<20, prompt, "trade")
			startOutput(t, o)
			io.WriteString(o.Stream("trade"), "one\n")
			synctest.Wait()
			want := 0
			if prompt {
				want = 1
			}
			if got := len(w.Sizes()); got != want {
				t.Errorf("prompt %t: %d writes before a flush, want %d", prompt, got, want)
			}
			o.Flush()
			synctest.Wait()
			if got := w.String(); got != "one\n" {
				t.Errorf("prompt %t: wrote %q after a flush", prompt, got)
			}
		}
		w := logtest.NewWrites()
		o := NewOutput("stdout", w, 1<<20, false, "trade")
		startOutput(t, o)
		rec := strings.Repeat("x", 99) + "\n"
		for range output.BatchSize / len(rec) {
			io.WriteString(o.Stream("trade"), rec)
		}
		synctest.Wait()
		if got := len(w.Sizes()); got != 0 {
			t.Fatalf("%d writes for less than a batch, unflushed", got)
		}
		io.WriteString(o.Stream("trade"), rec)
		synctest.Wait()
		if got := w.Sizes(); len(got) != 1 || got[0] < output.BatchSize {
			t.Errorf("writes %v once a batch was waiting, want one of at least %d bytes", got, output.BatchSize)
		}
	})
}

// A write that fails ends Run with its error, which Flush and Sync return
// from then on: the printer learns that stdout is gone.
func TestOutputKeepsTheWriteError(t *testing.T) {
	broken := errors.New("broken pipe")
	w := logtest.NewWrites()
	w.Fail(broken)
	o := NewOutput("stdout", w, 1<<10, false, "trade")
	done := startOutput(t, o)
	io.WriteString(o.Stream("trade"), "lost\n")
	o.Flush()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Sync(ctx); !errors.Is(err, broken) {
		t.Errorf("Sync = %v, want %v", err, broken)
	}
	select {
	case err := <-done:
		if !errors.Is(err, broken) {
			t.Errorf("Run = %v, want %v", err, broken)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after the write failed")
	}
	if err := o.Flush(); !errors.Is(err, broken) {
		t.Errorf("Flush = %v, want %v", err, broken)
	}
}

// Run writes what is left when its context ends; Stream panics on a stream
// the output was not made with; a stream unwraps to the file.
func TestOutputWritesWhatIsLeftWhenItStops(t *testing.T) {
	w := logtest.NewWrites()
	o := NewOutput("stdout", w, 1<<10, false, "trade")
	io.WriteString(o.Stream("trade"), "left\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := w.String(); got != "left\n" {
		t.Errorf("wrote %q on the way out, want %q", got, "left\n")
	}
	if u, ok := o.Stream("trade").(interface{ Unwrap() io.Writer }); !ok || u.Unwrap() != io.Writer(w) {
		t.Error("a stream does not unwrap to the file")
	}
	defer func() {
		if recover() == nil {
			t.Error("Stream of an unknown name did not panic")
		}
	}()
	o.Stream("nope")
}

// A write with nothing dropped and no Sync waiting allocates nothing: at the
// real feed's rhythm stdout's writer writes once for every trade.
func TestOutputWriteDoesNotAllocate(t *testing.T) {
	out := NewOutput("stdout", io.Discard, 1<<20, false, "trade")
	trades := out.Stream("trade")
	record := []byte(`{"msg":"trade","id":"1"}` + "\n")
	spare := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = trades.Write(record)
		var err error
		if spare, err = out.write(spare); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a record written allocates %v times, want 0", allocs)
	}
}
