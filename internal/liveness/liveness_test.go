package liveness

import (
	"testing"
	"time"
)

func TestWindowIsTheIntervalPlusTheTimeout(t *testing.T) {
	// The defaults: a ping every 30 s, answered within 10 s.
	if got := Window(30*time.Second, 10*time.Second); got != 40*time.Second {
		t.Errorf("Window(30s, 10s) = %v, want 40s", got)
	}
}

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		quiet, limit time.Duration
		dead         bool
		next         time.Duration
	}{
		{0, 40 * time.Second, false, 40 * time.Second},
		{10 * time.Second, 40 * time.Second, false, 30 * time.Second}, // what is left, not the whole limit
		{39 * time.Second, 40 * time.Second, false, time.Second},
		{40 * time.Second, 40 * time.Second, true, 0},
		{41 * time.Second, 40 * time.Second, true, 0},
		{-time.Second, 40 * time.Second, false, 40 * time.Second}, // a frame stamped after now: no time has passed
	} {
		dead, next := Check(tt.quiet, tt.limit)
		if dead != tt.dead || next != tt.next {
			t.Errorf("Check(%v, %v) = %t, %v; want %t, %v", tt.quiet, tt.limit, dead, next, tt.dead, tt.next)
		}
	}
}

// The clock stands still while the reader is blocked, and only then.
func TestClockLeavesOutTheWaits(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	c := NewClock(t0)
	check := func(s, want float64) {
		t.Helper()
		if got := c.At(at(s)); got != time.Duration(want*float64(time.Second)) {
			t.Errorf("At(%vs) = %v, want %vs", s, got, want)
		}
	}
	check(5, 5)
	c.Block(at(10))
	check(10, 10)
	check(70, 10)   // a minute blocked: no time listening
	c.Block(at(80)) // a second Block changes nothing
	c.Unblock(at(100))
	check(100, 10)
	check(130, 40)
	c.Unblock(at(140)) // no wait in progress: nothing to end
	check(140, 50)
	c.Block(at(150))
	c.Unblock(at(151))
	check(160, 69)
}
