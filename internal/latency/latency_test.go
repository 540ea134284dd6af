package latency

import (
	"slices"
	"sync"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	var h Histogram
	for _, d := range []time.Duration{
		-time.Second,           // clamped to 0: first bucket
		time.Microsecond,       // on a bound: that bucket
		1500 * time.Nanosecond, // 2 µs bucket
		3 * time.Millisecond,   // 5 ms bucket
		time.Second,            // last bound
		time.Second + 1,        // overflow
		time.Hour,              // overflow
	} {
		h.Observe(d)
	}
	s := h.Snapshot()
	if len(s.Bounds) != len(s.Counts) || len(s.Bounds) < 15 {
		t.Fatalf("%d bounds and %d counts, want equal and about 20", len(s.Bounds), len(s.Counts))
	}
	if got, want := s.Bounds[0], 1e-6; got != want {
		t.Errorf("first bound %v, want %v", got, want)
	}
	if got, want := s.Bounds[len(s.Bounds)-1], 1.0; got != want {
		t.Errorf("last bound %v, want %v", got, want)
	}
	if !slices.IsSorted(s.Bounds) {
		t.Errorf("bounds not ascending: %v", s.Bounds)
	}
	at := func(sec float64) uint64 { return s.Counts[slices.Index(s.Bounds, sec)] }
	for _, tt := range []struct {
		bound float64
		want  uint64 // cumulative
	}{
		{1e-6, 2}, {2e-6, 3}, {1e-3, 3}, {5e-3, 4}, {0.5, 4}, {1, 5},
	} {
		if got := at(tt.bound); got != tt.want {
			t.Errorf("observations ≤ %vs = %d, want %d", tt.bound, got, tt.want)
		}
	}
	if s.Count != 7 {
		t.Errorf("Count = %d, want 7", s.Count)
	}
	wantSum := (time.Microsecond + 1500*time.Nanosecond + 3*time.Millisecond + 2*time.Second + 1 + time.Hour).Seconds()
	if s.Sum != wantSum {
		t.Errorf("Sum = %v, want %v", s.Sum, wantSum)
	}
}

func TestHistogramConcurrentObserve(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 1000 {
				h.Observe(time.Duration(i) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	if got := h.Snapshot().Count; got != 4000 {
		t.Errorf("Count = %d after 4000 concurrent observations", got)
	}
}

func TestHistogramObserveDoesNotAllocate(t *testing.T) {
	var h Histogram
	if n := testing.AllocsPerRun(100, func() { h.Observe(42 * time.Microsecond) }); n != 0 {
		t.Errorf("Observe allocates %v times, want 0", n)
	}
}

func BenchmarkHistogramObserve(b *testing.B) {
	var h Histogram
	for i := 0; b.Loop(); i++ {
		h.Observe(time.Duration(i&1023) * time.Microsecond)
	}
}
