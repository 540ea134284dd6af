package actors

// Tests of how the connection actor paces its reconnects: the server's hints
// (slow-down closes, Retry-After), full jitter, and the sessions it ends
// itself (oversized frames, a stale feed).

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// A slow-down close (4429, 1013) waits at least the delay its reason names,
// else at least 10 × BackoffInitial (10 ms here, against a 1 ms schedule).
func TestConnSlowDownCloseWaitsWhatTheServerAsks(t *testing.T) {
	for _, tt := range []struct {
		code     int
		reason   string
		want     time.Duration
		wantFrom string
	}{
		{4429, "Too many initialisation requests", 10 * time.Millisecond, "slow-down floor"},
		{4429, "retry after 30", 30 * time.Second, "close reason"},
		{4429, "slow down: 1m30s", 90 * time.Second, "close reason"},
		{1013, "", 10 * time.Millisecond, "slow-down floor"},
		{1013, "Try again in 45 seconds.", 45 * time.Second, "close reason"},
		{1013, "retry after 90000", 10 * time.Millisecond, "slow-down floor"}, // past the cap: not a delay
		{1013, "wait 2h", time.Hour, "capped"},
	} {
		t.Run(fmt.Sprintf("%d %s", tt.code, tt.reason), func(t *testing.T) {
			h := connStart(t, fakeroll.Options{}, nil)
			h.waitSubscribed(t, 1)
			h.srv.CloseAll(tt.code, tt.reason)
			r := h.reconnects(t, 1)[0]
			if got := connDelay(r); got != tt.want {
				t.Errorf("delay %v, want %v", got, tt.want)
			}
			if got := r.String("delay_from"); !strings.Contains(got, tt.wantFrom) {
				t.Errorf("delay_from %q, want it to say %q", got, tt.wantFrom)
			}
			if got := r.String("kind"); got != gqlws.ReasonCloseSlowDown {
				t.Errorf("kind %q, want %q", got, gqlws.ReasonCloseSlowDown)
			}
			if got := h.conn.Stats().Backoff; got != tt.want {
				t.Errorf("Stats().Backoff = %v, want %v", got, tt.want)
			}
		})
	}
}

// A productive session resets the schedule, unless it ended with a slow-down.
func TestConnSlowDownNeverResetsBackoff(t *testing.T) {
	for _, tt := range []struct {
		code        int
		wantAttempt int64
	}{
		{code: 1001, wantAttempt: 1}, // reset: attempt 1 again
		{code: 1013, wantAttempt: 4}, // three refusals before, then this
		{code: 4429, wantAttempt: 4},
	} {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			srv := rolltest.Start(t, fakeroll.Options{})
			srv.RefuseNext(3, http.StatusBadGateway, nil)
			h := connRun(t, srv, func(c *ConnConfig) { c.BackoffMax = time.Second })
			h.waitSubscribed(t, 1)
			h.srv.Publish(h.srv.NewTrade())
			h.frame(t)
			h.srv.CloseAll(tt.code, "")
			r := h.reconnects(t, 4)[3]
			if got := connAttempt(r); got != tt.wantAttempt {
				t.Errorf("attempt %d after a productive session closed with %d, want %d", got, tt.code, tt.wantAttempt)
			}
		})
	}
}

// Retry-After on a refused upgrade, in seconds or as a date, sets the least
// wait; without it 429 still waits the slow-down floor and 503 the schedule.
func TestConnRetryAfterHints(t *testing.T) {
	for _, tt := range []struct {
		name     string
		status   int
		header   http.Header
		min, max time.Duration
		kind     string
	}{
		{"429 seconds", http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}, 7 * time.Second, 7 * time.Second, gqlws.ReasonHTTP429},
		{"503 seconds", http.StatusServiceUnavailable, http.Header{"Retry-After": {"12"}}, 12 * time.Second, 12 * time.Second, gqlws.ReasonHTTP503},
		// An HTTP date has whole seconds: the wait is up to a second short of 90 s.
		{"503 date", http.StatusServiceUnavailable, http.Header{"Retry-After": {time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}},
			88 * time.Second, 90 * time.Second, gqlws.ReasonHTTP503},
		{"429 without header", http.StatusTooManyRequests, nil, 10 * time.Millisecond, 10 * time.Millisecond, gqlws.ReasonHTTP429},
		{"503 without header", http.StatusServiceUnavailable, nil, time.Millisecond, time.Millisecond, gqlws.ReasonHTTP503},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := rolltest.Start(t, fakeroll.Options{})
			srv.RefuseNext(1, tt.status, tt.header)
			h := connRun(t, srv, nil)
			r := h.reconnects(t, 1)[0]
			if got := connDelay(r); got < tt.min || got > tt.max {
				t.Errorf("delay %v, want within [%v, %v]", got, tt.min, tt.max)
			}
			if got := r.String("kind"); got != tt.kind {
				t.Errorf("kind %q, want %q", got, tt.kind)
			}
		})
	}
}

// With jitter each delay is the injected draw from [0, schedule], and a
// server's floor still holds whatever the draw.
func TestConnJitter(t *testing.T) {
	half := func(n int64) int64 { return (n - 1) / 2 }
	srv := rolltest.Start(t, fakeroll.Options{})
	srv.RefuseNext(4, http.StatusBadGateway, nil)
	h := connRunHooked(t, srv, func(c *ConnConfig) { c.BackoffJitter = true }, func(c *Conn) { c.rand = half })
	h.waitSubscribed(t, 1)
	recs := h.reconnects(t, 4)
	for i, want := range []time.Duration{500 * time.Microsecond, time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond} {
		if got := connDelay(recs[i]); got != want {
			t.Errorf("wait %d = %v, want %v (half the schedule)", i+1, got, want)
		}
		if got := recs[i].String("delay_from"); got != "backoff with jitter" {
			t.Errorf("wait %d delay_from %q, want %q", i+1, got, "backoff with jitter")
		}
	}
	h.srv.CloseAll(4429, "")
	if got := connDelay(h.reconnects(t, 5)[4]); got != 10*time.Millisecond {
		t.Errorf("jittered wait after a slow-down = %v, want the 10ms floor", got)
	}
}

// With the real random source, jittered delays stay within the schedule.
func TestConnJitterRealSource(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{})
	srv.RefuseNext(6, http.StatusBadGateway, nil)
	h := connRun(t, srv, func(c *ConnConfig) { c.BackoffJitter = true })
	h.waitSubscribed(t, 1)
	for i, r := range h.reconnects(t, 6) {
		limit := min(time.Millisecond<<i, 8*time.Millisecond)
		if got := connDelay(r); got < 0 || got > limit {
			t.Errorf("wait %d = %v, want within [0, %v]", i+1, got, limit)
		}
	}
}

// A frame over the read limit ends the session; the log names its size (or a
// lower bound, for a frame too large to count) and the limit; the next
// session works. A frame of exactly the limit is fine.
func TestConnOversizeFrameIsLoggedWithItsSize(t *testing.T) {
	const limit = 1024
	for _, tt := range []struct {
		size int
		want string // in the reason; "" for no reconnect
	}{
		{size: limit},
		{size: limit + 1, want: "a frame of 1025 bytes is larger than the read limit of 1024 bytes (-read-limit)"},
		{size: 4096, want: "a frame of 4096 bytes is larger than the read limit of 1024 bytes"},
		{size: 40_000, want: fmt.Sprintf("a frame of more than %d bytes is larger than the read limit of 1024 bytes", limit+1+16*limit)},
	} {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			h := connStart(t, fakeroll.Options{}, func(c *ConnConfig) { c.ReadLimit = limit })
			h.waitSubscribed(t, 1)
			big := bytes.Repeat([]byte("x"), tt.size)
			h.srv.SendRaw(big)
			if tt.want == "" {
				if f := h.frame(t); !bytes.Equal(f.Data, big) {
					t.Errorf("a frame of exactly the limit was not forwarded intact (%d bytes)", len(f.Data))
				}
				return
			}
			r := h.reconnects(t, 1)[0]
			if got := r.String("reason"); !strings.Contains(got, tt.want) {
				t.Errorf("reason %q, want it to contain %q", got, tt.want)
			}
			if got := r.String("kind"); got != gqlws.ReasonReadLimit {
				t.Errorf("kind %q, want %q", got, gqlws.ReasonReadLimit)
			}
			h.waitSubscribed(t, 2)
			small := []byte(`{"id":"1","type":"next","payload":{}}`)
			h.srv.SendRaw(small)
			if f := h.frame(t); !bytes.Equal(f.Data, small) || f.Session != 2 {
				t.Errorf("after the oversized frame got %q from session %d, want %s from session 2", f.Data, f.Session, small)
			}
		})
	}
}

// A subscription that brings no trade for StaleAfter is replaced, even while
// pongs keep the connection itself alive.
func TestConnStaleFeedReconnects(t *testing.T) {
	h := connStart(t, fakeroll.Options{}, func(c *ConnConfig) {
		c.StaleAfter = 50 * time.Millisecond
		c.PingInterval = 5 * time.Millisecond
		c.PingTimeout = 10 * time.Second
	})
	h.waitSubscribed(t, 1)
	r := h.reconnects(t, 1)[0]
	if got := r.String("kind"); got != gqlws.ReasonStale {
		t.Errorf("kind %q, want %q; reason %q", got, gqlws.ReasonStale, r.String("reason"))
	}
	warned := false
	for _, rec := range h.logs.Records() {
		if strings.HasPrefix(rec.Message, "no trade for 50ms (-stale-after): the subscription may have died silently; reconnecting") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no stale-feed warning; logged:\n%s", h.logs.Dump())
	}
	h.waitSubscribed(t, 2)
}

// While trades flow more often than StaleAfter, the session is kept: trades
// arrive every 2.5 to 7.5 ms for three StaleAfter periods (the margin is wide
// because the race detector on a busy machine can stall the feed for a while).
func TestConnStaleAfterKeepsFlowingFeed(t *testing.T) {
	const staleAfter = 500 * time.Millisecond
	h := connStart(t, fakeroll.Options{TradeInterval: 5 * time.Millisecond}, func(c *ConnConfig) { c.StaleAfter = staleAfter })
	h.waitSubscribed(t, 1)
	start := time.Now()
	frames := 0
	for time.Since(start) < 3*staleAfter {
		h.frame(t)
		frames++
	}
	if got := h.conn.Stats().Reconnects[gqlws.ReasonStale]; got != 0 {
		t.Errorf("%d stale reconnects while %d trades flowed", got, frames)
	}
	if got := h.conn.Sessions(); got != 1 {
		t.Errorf("Sessions() = %d, want 1; logged:\n%s", got, h.logs.Dump())
	}
}
