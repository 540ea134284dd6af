package actors

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/messages"
)

// BenchmarkColdWake is the measurement behind Parser.RunInto's plain
// receive: the time from a frame's send to the moment the goroutine that
// waits for it runs, on one P, with the caches and page tables gone cold
// before each frame (64 MiB written over), as they are at the real feed's
// rhythm. The waiter waits in a select on the frames and a context's
// channel (as the parser did, and Run still does), or on the frames alone.
// It reports the median and the 90th percentile; compare the two in one run:
//
//	go test -run=NONE -bench=ColdWake -benchtime=1500x ./actors/
//
// On the 2-core development machine, with -count=2: select 3.9 and 3.8 µs at
// the median, receive 3.4 and 3.4 µs; at the 90th percentile 5.5 and 5.2
// against 4.9 and 4.9 µs.
func BenchmarkColdWake(b *testing.B) {
	cold := make([]byte, 64<<20)
	for _, bench := range []struct {
		name  string
		orCtx bool
	}{{"select", true}, {"receive", false}} {
		b.Run(bench.name, func(b *testing.B) { benchColdWake(b, cold, bench.orCtx) })
	}
}

func benchColdWake(b *testing.B, cold []byte, orCtx bool) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	in := make(chan messages.Frame, 1024)
	woke := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var f messages.Frame
			var ok bool
			if orCtx {
				select {
				case f, ok = <-in:
				case <-ctx.Done():
					return
				}
			} else {
				f, ok = <-in
			}
			if !ok {
				return
			}
			woke = append(woke, time.Since(f.ReceivedAt))
		}
	}()
	data := make([]byte, 1024)
	for b.Loop() {
		for i := 0; i < len(cold); i += 64 {
			cold[i]++
		}
		in <- messages.Frame{Data: data, ReceivedAt: time.Now()}
		runtime.Gosched() // as the connection actor does: the waiter runs now
	}
	close(in)
	<-done
	slices.Sort(woke)
	b.ReportMetric(float64(woke[len(woke)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(woke[len(woke)*9/10].Nanoseconds()), "p90-ns")
}
