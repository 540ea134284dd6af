package loglimit

import "time"

// Limiter lets through Burst warnings per Window and counts the rest. The zero
// Window lets nothing be counted twice: set both fields.
type Limiter struct {
	Burst  int
	Window time.Duration

	start      time.Time // the current window's start
	logged     int       // warnings logged in the window
	suppressed uint64    // warnings left out since the last one logged
}

// Allow reports whether a warning may be logged at now, and if so how many
// were left out before it.
func (l *Limiter) Allow(now time.Time) (ok bool, suppressed uint64) {
	if now.Sub(l.start) >= l.Window {
		l.start, l.logged = now, 0
	}
	if l.logged >= l.Burst {
		l.suppressed++
		return false, 0
	}
	l.logged++
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}
