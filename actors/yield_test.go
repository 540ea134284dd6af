package actors

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkYieldToReadied counts, on one P, how often a goroutine that sends
// to a goroutine waiting on a channel, then yields, goes on before the
// receiver has run: with runtime.Gosched alone (about one time in 61, the
// scheduler's turn for its global queue), and with YieldToReadied, which the
// connection actor uses and which should never let it. It reports them per
// thousand hand-offs:
//
//	go test -run=NONE -bench=YieldToReadied ./actors/
//
// On the development machine: Gosched 16.4 a thousand (one in 61),
// YieldToReadied none; 236–241 ns a hand-off and its yield against 312–315.
func BenchmarkYieldToReadied(b *testing.B) {
	for _, bench := range yields {
		b.Run(bench.name, func(b *testing.B) {
			first := goesFirst(b.N, bench.yield)
			b.ReportMetric(1000*float64(first)/float64(b.N), "first/1k")
		})
	}
}

// yields are the two ways to yield that BenchmarkYieldToReadied compares.
var yields = []struct {
	name  string
	yield func()
}{{"Gosched", runtime.Gosched}, {"YieldToReadied", YieldToReadied}}

// goesFirst makes n hand-offs on one P: each a send to a goroutine waiting
// on a channel, then yield. It returns how many times the sender went on
// before the receiver had run.
func goesFirst(n int, yield func()) int {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	in := make(chan int)
	var woke atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range in {
			woke.Add(1)
		}
	}()
	first := 0
	for range n {
		before := woke.Load()
		in <- 1
		yield()
		if woke.Load() == before {
			first++
		}
	}
	close(in)
	<-done
	return first
}

// The connection actor's yield lets the parser it has just handed a frame
// run first, where runtime.Gosched alone lets the actor go on first about one
// time in 61. Counted against Gosched in the same run, so that a rare turn
// of the garbage collector's cannot fail it.
func TestYieldToReadiedLetsTheReceiverGoFirst(t *testing.T) {
	const n = 10_000
	gosched, yield := goesFirst(n, runtime.Gosched), goesFirst(n, YieldToReadied)
	if gosched < n/200 {
		t.Skipf("Gosched let the sender go first %d times in %d: this scheduler has no turn for its global queue to guard against", gosched, n)
	}
	if yield > gosched/10 {
		t.Errorf("the sender went on first %d times in %d hand-offs with YieldToReadied, %d with Gosched alone", yield, n, gosched)
	}
}
