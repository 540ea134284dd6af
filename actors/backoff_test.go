package actors

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
			b := Backoff{Initial: tt.initial, Max: tt.max}
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
	b := Backoff{Initial: time.Second, Max: time.Minute}
	for range 10 {
		b.Next()
	}
	b.Reset()
	if got := b.Next(); got != time.Second {
		t.Errorf("after Reset, Next() = %v, want 1s", got)
	}
}

func TestBackoffDoesNotOverflowAfterManyFailures(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: time.Minute}
	for range 10_000 {
		if d := b.Next(); d <= 0 || d > time.Minute {
			t.Fatalf("delay %v after %d failures, want within (0, 1m]", d, b.Attempt())
		}
	}
}
