package main

// This file holds what the benchmark measures with: CPU time, allocations,
// latency percentiles, and the writer the trades are printed to.

import (
	"bytes"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"time"
)

// cpuTime is the user plus system CPU time this process has used so far.
func cpuTime() time.Duration {
	cpu, _ := usage()
	return cpu
}

// usage is the user plus system CPU time this process has used so far, and
// how many times its threads were switched off a CPU (voluntarily, to wait,
// or not): each hand-off that wakes a sleeping thread costs a pair of them,
// so they count what the CPU time of the hand-offs is made of.
func usage() (time.Duration, int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Nvcsw + ru.Nivcsw
}

// sample is the process's counters at one moment.
type sample struct {
	at       time.Time
	cpu      time.Duration
	switches int64 // context switches
	mallocs  uint64
	bytes    uint64
}

func takeSample() sample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cpu, switches := usage()
	return sample{at: time.Now(), cpu: cpu, switches: switches, mallocs: ms.Mallocs, bytes: ms.TotalAlloc}
}

// cost is what n trades cost between two samples, per trade.
type cost struct {
	trades    int
	perSecond float64 // trades a second, by the wall clock
	cpu       float64 // CPU microseconds a trade
	switches  float64 // context switches a trade
	allocs    float64 // allocations a trade
	bytes     float64 // bytes allocated a trade
	feedCPU   float64 // the feed process's CPU microseconds a trade
	serverCPU float64 // a NATS server process's CPU microseconds a trade (-nats)
}

// cores is how many cores the client, the feed and a NATS server kept busy
// together, on average, while the trades went through.
func (c cost) cores() float64 {
	return (c.cpu + c.feedCPU + c.serverCPU) * c.perSecond / 1e6
}

func costOf(from, to sample, n int, feedCPU time.Duration) cost {
	f := float64(n)
	return cost{
		trades:    n,
		perSecond: f / to.at.Sub(from.at).Seconds(),
		cpu:       float64((to.cpu - from.cpu).Microseconds()) / f,
		switches:  float64(to.switches-from.switches) / f,
		allocs:    float64(to.mallocs-from.mallocs) / f,
		bytes:     float64(to.bytes-from.bytes) / f,
		feedCPU:   float64(feedCPU.Microseconds()) / f,
	}
}

// median returns the cost with the median CPU a trade.
func median(cs []cost) cost {
	s := slices.Clone(cs)
	slices.SortFunc(s, func(a, b cost) int {
		switch {
		case a.cpu < b.cpu:
			return -1
		case a.cpu > b.cpu:
			return 1
		}
		return 0
	})
	return s[len(s)/2]
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// countingWriter stands in for stdout: it counts bytes and lines and keeps
// nothing, so that printing costs what formatting costs.
type countingWriter struct {
	writes atomic.Int64
	bytes  atomic.Int64
	lines  atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes.Add(1)
	w.bytes.Add(int64(len(p)))
	w.lines.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}
