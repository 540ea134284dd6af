package loglimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	l := Limiter{Burst: 2, Window: time.Minute}
	type step struct {
		at             time.Duration
		ok             bool
		wantSuppressed uint64
	}
	for i, s := range []step{
		{0, true, 0},
		{time.Second, true, 0},
		{2 * time.Second, false, 0}, // the burst is spent
		{3 * time.Second, false, 0},
		{59 * time.Second, false, 0},
		{time.Minute, true, 3}, // a new window, and what was left out
		{time.Minute + time.Second, true, 0},
		{time.Minute + 2*time.Second, false, 0},
		{3 * time.Minute, true, 1},
	} {
		ok, suppressed := l.Allow(start.Add(s.at))
		if ok != s.ok || suppressed != s.wantSuppressed {
			t.Errorf("step %d at %v: Allow = %v, %d; want %v, %d", i, s.at, ok, suppressed, s.ok, s.wantSuppressed)
		}
	}
}
