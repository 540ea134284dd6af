package actors

// Tests of the connection actor's Stats: its states, its counters, and a
// reconnect counted under each reason label.

import (
	"context"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// Every label a session can end with is counted under it, and nothing a
// server sends adds a label.
func TestConnCountsReconnectsByReason(t *testing.T) {
	short := func(c *ConnConfig) {
		c.PingInterval = 10 * time.Millisecond
		c.PingTimeout = 30 * time.Millisecond
	}
	refuse := func(status int) func(*fakeroll.Server) {
		return func(s *fakeroll.Server) { s.RefuseNext(1, status, nil) }
	}
	for _, tt := range []struct {
		reason string
		mod    func(*ConnConfig)
		before func(*fakeroll.Server)            // before the first dial
		fault  func(*fakeroll.Server, *failConn) // once subscribed
	}{
		{reason: gqlws.ReasonDial, mod: func(c *ConnConfig) { c.URL = "ws://" + closedAddr(t) + "/ws" }},
		{reason: gqlws.ReasonHTTP403, before: refuse(http.StatusForbidden)},
		{reason: gqlws.ReasonHTTP429, before: refuse(http.StatusTooManyRequests)},
		{reason: gqlws.ReasonHTTP503, before: refuse(http.StatusServiceUnavailable)},
		{reason: gqlws.ReasonHTTP5xx, before: refuse(http.StatusBadGateway)},
		{reason: gqlws.ReasonHTTPOther, before: refuse(http.StatusNotFound)},
		{reason: gqlws.ReasonDropped, fault: func(s *fakeroll.Server, _ *failConn) { s.DropAll() }},
		{reason: gqlws.ReasonClosed, fault: func(s *fakeroll.Server, _ *failConn) { s.CloseAll(1000, "") }},
		{reason: gqlws.ReasonCloseSlowDown, fault: func(s *fakeroll.Server, _ *failConn) { s.CloseAll(1013, "") }},
		// A made-up code and a reason shaped like a label add no label.
		{reason: gqlws.ReasonCloseError, fault: func(s *fakeroll.Server, _ *failConn) { s.CloseAll(4999, "evil_label") }},
		{reason: gqlws.ReasonHalfOpen, mod: short, fault: func(s *fakeroll.Server, _ *failConn) { s.Silence() }},
		{reason: gqlws.ReasonStale, mod: func(c *ConnConfig) { c.StaleAfter = 20 * time.Millisecond }},
		{reason: gqlws.ReasonAckTimeout, mod: func(c *ConnConfig) { c.AckTimeout = 30 * time.Millisecond },
			before: func(s *fakeroll.Server) { s.WithholdAck(true) }},
		{reason: gqlws.ReasonReadLimit, mod: func(c *ConnConfig) { c.ReadLimit = 64 },
			fault: func(s *fakeroll.Server, _ *failConn) { s.SendRaw(make([]byte, 65)) }},
		{reason: gqlws.ReasonSubscriptionEnded, fault: func(s *fakeroll.Server, _ *failConn) { s.SendRaw([]byte(`{"id":"1","type":"complete"}`)) }},
		// A next whose frame says complete further on (the last "type" wins):
		// handed to the parser on its first type, then confirmed, it still
		// ends the session.
		{reason: gqlws.ReasonSubscriptionEnded, fault: func(s *fakeroll.Server, _ *failConn) {
			s.SendRaw([]byte(`{"id":"1","type":"next","payload":{"data":{}},"type":"complete"}`))
		}},
		// The pong that answers the server's ping cannot be written.
		{reason: gqlws.ReasonWriteFailed, fault: func(s *fakeroll.Server, fc *failConn) {
			fc.failWrites.Store(true)
			s.SendRaw([]byte(`{"type":"ping"}`))
		}},
	} {
		t.Run(tt.reason, func(t *testing.T) {
			srv := rolltest.Start(t, fakeroll.Options{})
			if tt.before != nil {
				tt.before(srv)
			}
			fc := &failConn{}
			h := connRun(t, srv, func(c *ConnConfig) {
				c.HTTPClient = fc.client()
				if tt.mod != nil {
					tt.mod(c)
				}
			})
			if tt.fault != nil {
				h.waitSubscribed(t, 1)
				tt.fault(srv, fc)
			}
			r := h.reconnects(t, 1)[0]
			if got := r.String("kind"); got != tt.reason {
				t.Errorf("kind %q, want %q; reason %q", got, tt.reason, r.String("reason"))
			}
			st := h.conn.Stats()
			if st.Reconnects[tt.reason] < 1 {
				t.Errorf("Reconnects[%q] = %d, want at least 1: %v", tt.reason, st.Reconnects[tt.reason], st.Reconnects)
			}
			if got, want := slices.Sorted(maps.Keys(st.Reconnects)), slices.Sorted(slices.Values(gqlws.Reasons())); !slices.Equal(got, want) {
				t.Errorf("Reconnects keys %v, want exactly %v", got, want)
			}
		})
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// failConn dials connections whose writes fail once failWrites is set.
type failConn struct{ failWrites atomic.Bool }

func (f *failConn) client() *http.Client {
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &failingConn{Conn: c, fail: &f.failWrites}, nil
		},
	}}
}

type failingConn struct {
	net.Conn
	fail *atomic.Bool
}

func (c *failingConn) Write(p []byte) (int, error) {
	if c.fail.Load() {
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

// Stats follows a session's life: connecting while the ack is awaited,
// subscribed once the subscription is sent, waiting between sessions, stopped
// when Run returns; with the counters, the backoff and the last frame and
// trade.
func TestConnStatsFollowTheSession(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{})
	srv.RefuseNext(3, http.StatusBadGateway, nil)
	srv.WithholdAck(true)
	h := connRun(t, srv, nil)

	// Three refusals, then a session that waits for its ack.
	err := srv.Wait(h.ctx, func(ss []fakeroll.Session) bool { return len(ss) == 1 && len(ss[0].Received) == 1 })
	if err != nil {
		t.Fatal(err)
	}
	st := h.conn.Stats()
	if st.State != StateConnecting || st.Sessions != 4 || st.Reconnects[gqlws.ReasonHTTP5xx] != 3 ||
		st.ConsecutiveFailures != 3 || st.Backoff != 4*time.Millisecond {
		t.Errorf("awaiting the ack: %+v, want connecting, 4 sessions, 3 http_5xx, 3 failures, backoff 4ms", st)
	}
	if !st.LastFrame.IsZero() || !st.LastTrade.IsZero() {
		t.Errorf("LastFrame %v LastTrade %v before any frame, want zero", st.LastFrame, st.LastTrade)
	}
	if st.Window != 2*time.Minute {
		t.Errorf("Window = %v, want the ping interval plus timeout, 2m", st.Window)
	}

	srv.WithholdAck(false)
	srv.DropAll()
	h.waitSubscribed(t, 1)
	st = h.conn.Stats()
	if st.State != StateSubscribed || st.ConsecutiveFailures != 4 || st.Reconnects[gqlws.ReasonDropped] != 1 {
		t.Errorf("subscribed: %+v, want subscribed, 4 failures, 1 dropped", st)
	}
	frames := st.Frames

	before := time.Now()
	srv.Publish(srv.NewTrade())
	h.frame(t)
	st = h.conn.Stats()
	if st.ConsecutiveFailures != 0 {
		t.Errorf("ConsecutiveFailures = %d once a trade arrived, want 0", st.ConsecutiveFailures)
	}
	if st.LastTrade.Before(before) || st.LastFrame.Before(st.LastTrade) {
		t.Errorf("LastTrade %v LastFrame %v, want both after %v", st.LastTrade, st.LastFrame, before)
	}
	if st.Frames != frames+1 {
		t.Errorf("Frames = %d, want %d", st.Frames, frames+1)
	}

	srv.RefuseNext(1, http.StatusServiceUnavailable, http.Header{"Retry-After": {"30"}})
	srv.DropAll()
	h.reconnects(t, 6)
	st = h.conn.Stats()
	if st.State != StateWaiting || st.Backoff != 30*time.Second {
		t.Errorf("waiting out Retry-After: %+v, want waiting, backoff 30s", st)
	}

	if err := h.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := h.conn.Stats().State; got != StateStopped {
		t.Errorf("State after Run = %v, want stopped", got)
	}
}

func TestConnStateString(t *testing.T) {
	for _, tt := range []struct {
		s    ConnState
		want string
	}{
		{StateWaiting, "waiting"}, {StateConnecting, "connecting"}, {StateSubscribed, "subscribed"},
		{StateStopped, "stopped"}, {ConnState(42), "unknown"},
	} {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", int(tt.s), got, tt.want)
		}
	}
}

func TestFrameQueueIsBoundedInBytes(t *testing.T) {
	for _, tt := range []struct {
		limit int64
		want  int
	}{
		{16 << 10, 1024},       // small frames: the full queue
		{64 << 10, 1024},       // 64 MiB exactly
		{DefaultReadLimit, 64}, // 1 MiB frames: 64 MiB at most
		{48 << 20, 1},          // above half the budget: one frame
		{256 << 20, 1},         // the largest limit sniper allows: one frame, not 16 (4 GiB)
	} {
		if got := frameQueue(tt.limit); got != tt.want {
			t.Errorf("frameQueue(%d) = %d, want %d", tt.limit, got, tt.want)
		}
		if c := NewConn(ConnConfig{ReadLimit: tt.limit}, nil); cap(c.out) != tt.want {
			t.Errorf("read limit %d: queue of %d, want %d", tt.limit, cap(c.out), tt.want)
		}
		if held := int64(frameQueue(tt.limit)) * tt.limit; held > max(frameQueueBytes, tt.limit) {
			t.Errorf("read limit %d: the queue may hold %d bytes, more than %d", tt.limit, held, max(frameQueueBytes, tt.limit))
		}
	}
}
