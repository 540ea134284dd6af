package backoff

import (
	"slices"
	"testing"
	"time"
)

func TestBackoffSchedule(t *testing.T) {
	tests := []struct {
		name         string
		initial, max time.Duration
		n            int
		want         []time.Duration
	}{
		{
			name: "the user's schedule", initial: time.Second, max: time.Minute, n: 9,
			want: []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
				16 * time.Second, 32 * time.Second, 60 * time.Second, 60 * time.Second, 60 * time.Second},
		},
		{
			name: "milliseconds for tests", initial: time.Millisecond, max: 5 * time.Millisecond, n: 5,
			want: []time.Duration{1 * time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond},
		},
		{
			name: "cap equal to initial", initial: time.Second, max: time.Second, n: 3,
			want: []time.Duration{time.Second, time.Second, time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Schedule{Initial: tt.initial, Max: tt.max}
			var got []time.Duration
			for range tt.n {
				got = append(got, b.Next())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("delays = %v, want %v", got, tt.want)
			}
			if b.Attempt() != tt.n {
				t.Errorf("Attempt() = %d, want %d", b.Attempt(), tt.n)
			}
		})
	}
}

func TestBackoffResetStartsAgain(t *testing.T) {
	b := Schedule{Initial: time.Second, Max: time.Minute}
	for range 10 {
		b.Next()
	}
	b.Reset()
	if got := b.Next(); got != time.Second {
		t.Errorf("after Reset, Next() = %v, want 1s", got)
	}
}

func TestBackoffDoesNotOverflowAfterManyFailures(t *testing.T) {
	b := Schedule{Initial: time.Second, Max: time.Minute}
	for range 10_000 {
		if d := b.Next(); d <= 0 || d > time.Minute {
			t.Fatalf("delay %v after %d failures, want within (0, 1m]", d, b.Attempt())
		}
	}
}

// Full jitter draws each delay from [0, the scheduled delay], from the injected
// source, and leaves the schedule itself (doubling, cap) unchanged.
func TestBackoffFullJitter(t *testing.T) {
	const ms = time.Millisecond
	for _, tt := range []struct {
		name string
		draw func(n int64) int64
		want []time.Duration
	}{
		{name: "lowest draw", draw: func(int64) int64 { return 0 }, want: []time.Duration{0, 0, 0, 0, 0}},
		{name: "highest draw is the schedule", draw: func(n int64) int64 { return n - 1 },
			want: []time.Duration{ms, 2 * ms, 4 * ms, 8 * ms, 8 * ms}},
		{name: "half", draw: func(n int64) int64 { return (n - 1) / 2 },
			want: []time.Duration{ms / 2, ms, 2 * ms, 4 * ms, 4 * ms}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := Schedule{Initial: time.Millisecond, Max: 8 * time.Millisecond, Jitter: true, Rand: tt.draw}
			var got []time.Duration
			for range len(tt.want) {
				got = append(got, b.Next())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("delays = %v, want %v", got, tt.want)
			}
		})
	}
}

// With the real random source every delay stays within [0, schedule].
func TestBackoffJitterStaysWithinSchedule(t *testing.T) {
	b := Schedule{Initial: time.Second, Max: time.Minute, Jitter: true}
	plain := Schedule{Initial: time.Second, Max: time.Minute}
	seen := map[bool]bool{}
	for range 1000 {
		d, limit := b.Next(), plain.Next()
		if d < 0 || d > limit {
			t.Fatalf("jittered delay %v outside [0, %v]", d, limit)
		}
		seen[d == limit] = true
	}
	if !seen[false] {
		t.Error("1000 jittered delays all equal the schedule: no jitter applied")
	}
}
