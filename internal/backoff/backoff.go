package backoff

import (
	"math/rand/v2"
	"time"
)

// Schedule is the user's reconnect schedule: Initial, then doubling after every
// failure, capped at Max. With the defaults (1 s, 60 s) the delays are 1 s, 2 s,
// 4 s, 8 s, 16 s, 32 s, then 60 s for every further failure.
//
// With Jitter set, each delay is instead drawn uniformly from [0, the scheduled
// delay] ("full jitter"), so that many instances that lost the feed together do
// not all reconnect together.
//
// A Schedule is not safe for concurrent use: the connection actor owns it.
type Schedule struct {
	Initial time.Duration
	Max     time.Duration
	Jitter  bool
	// Rand returns a uniform random number in [0, n); nil means
	// math/rand/v2's Int64N. Tests inject their own.
	Rand func(n int64) int64

	failures int // consecutive failures since the last Reset
}

// Next records one more failure and returns how long to wait before the next attempt.
func (b *Schedule) Next() time.Duration {
	d := b.Initial
	for i := 0; i < b.failures && d < b.Max; i++ {
		d *= 2
	}
	b.failures++
	d = min(d, b.Max)
	if !b.Jitter || d <= 0 {
		return d
	}
	draw := rand.Int64N
	if b.Rand != nil {
		draw = b.Rand
	}
	return time.Duration(draw(int64(d) + 1)) // [0, d], both ends included
}

// Attempt is the number of consecutive failures so far: the attempt that the next
// wait leads to is Attempt()+1.
func (b *Schedule) Attempt() int { return b.failures }

// Reset starts the schedule again at Initial: the connection actor calls it after
// a session that received a trade.
func (b *Schedule) Reset() { b.failures = 0 }
