package latency

import (
	"sync/atomic"
	"time"
)

// latencyBounds are the histogram's bucket upper bounds, 1 µs to 1 s in 1-2-5
// steps: the pipeline's latencies are microseconds, and anything slower than a
// second lands in the overflow bucket.
var latencyBounds = [...]time.Duration{
	1 * time.Microsecond, 2 * time.Microsecond, 5 * time.Microsecond,
	10 * time.Microsecond, 20 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 200 * time.Microsecond, 500 * time.Microsecond,
	1 * time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	1 * time.Second,
}

// Histogram counts durations in fixed buckets (see Snapshot). It
// is lock-free: Observe and Snapshot are safe to call from any goroutine, and
// Observe neither allocates nor blocks. The zero value is ready to use.
type Histogram struct {
	buckets [len(latencyBounds) + 1]atomic.Uint64 // the last one is the overflow
	sum     atomic.Int64                          // nanoseconds
}

// Observe records one duration. A negative duration counts as zero.
func (h *Histogram) Observe(d time.Duration) {
	d = max(d, 0)
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	h.buckets[i].Add(1)
	h.sum.Add(int64(d))
}

// Snapshot is a Histogram at one moment, in the shape of a
// Prometheus histogram.
type Snapshot struct {
	// Bounds are the buckets' upper bounds in seconds, ascending. An implicit
	// last bucket (+Inf) holds everything above the last bound.
	Bounds []float64
	// Counts are cumulative: Counts[i] is how many observations were at most
	// Bounds[i]. Count - Counts[len(Counts)-1] were above every bound.
	Counts []uint64
	// Count is how many observations there were in all.
	Count uint64
	// Sum is the observations' total, in seconds.
	Sum float64
}

// Snapshot returns the counts so far. Observations made while it runs may be
// in some buckets and not yet in Sum, never in Count without their bucket.
func (h *Histogram) Snapshot() Snapshot {
	s := Snapshot{
		Bounds: make([]float64, len(latencyBounds)),
		Counts: make([]uint64, len(latencyBounds)),
	}
	for i, b := range latencyBounds {
		s.Bounds[i] = b.Seconds()
		s.Count += h.buckets[i].Load()
		s.Counts[i] = s.Count
	}
	s.Count += h.buckets[len(latencyBounds)].Load()
	s.Sum = time.Duration(h.sum.Load()).Seconds()
	return s
}
