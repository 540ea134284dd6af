package actors

import "time"

// Backoff is the user's reconnect schedule: Initial, then doubling after every
// failure, capped at Max. With the defaults (1 s, 60 s) the delays are 1 s, 2 s,
// 4 s, 8 s, 16 s, 32 s, then 60 s for every further failure.
//
// A Backoff is not safe for concurrent use: the connection actor owns it.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration

	failures int // consecutive failures since the last Reset
}

// Next records one more failure and returns how long to wait before the next attempt.
func (b *Backoff) Next() time.Duration {
	d := b.Initial
	for i := 0; i < b.failures && d < b.Max; i++ {
		d *= 2
	}
	b.failures++
	return min(d, b.Max)
}

// Attempt is the number of consecutive failures so far: the attempt that the next
// wait leads to is Attempt()+1.
func (b *Backoff) Attempt() int { return b.failures }

// Reset starts the schedule again at Initial: the connection actor calls it after
// a session that received a trade.
func (b *Backoff) Reset() { b.failures = 0 }
