package actors

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// connHarness is a connection actor running against a fake feed on loopback.
type connHarness struct {
	srv  *fakeroll.Server
	conn *Conn
	logs *logtest.Recorder
	ctx  context.Context // bounds every wait in the test

	cancel context.CancelFunc
	done   chan error // Run's result
}

// connStart starts a fake feed and a connection actor against it, with timings
// in milliseconds so the whole schedule runs fast. mod adjusts the config.
func connStart(t *testing.T, opts fakeroll.Options, mod func(*ConnConfig)) *connHarness {
	t.Helper()
	return connRun(t, rolltest.Start(t, opts), mod)
}

// connRun starts a connection actor against srv; the test's cleanup stops it.
func connRun(t *testing.T, srv *fakeroll.Server, mod func(*ConnConfig)) *connHarness {
	t.Helper()
	return connRunHooked(t, srv, mod, nil)
}

// connRunHooked is connRun with hook applied to the actor before Run starts,
// to inject what the config does not carry (the jitter's random source).
func connRunHooked(t *testing.T, srv *fakeroll.Server, mod func(*ConnConfig), hook func(*Conn)) *connHarness {
	t.Helper()
	cfg := ConnConfig{
		URL:            srv.URL(),
		Session:        "s%3Asecret-session",
		Origin:         "https://www.csgoroll.com",
		UserAgent:      "Mozilla/5.0 test",
		BackoffInitial: time.Millisecond,
		BackoffMax:     8 * time.Millisecond,
		PingInterval:   time.Minute,
		PingTimeout:    time.Minute,
		AckTimeout:     5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	rec, log := logtest.New()
	h := &connHarness{srv: srv, conn: NewConn(cfg, log), logs: rec}
	if hook != nil {
		hook(h.conn)
	}
	h.ctx, h.cancel, h.done = runActor(t, h.conn.Run, func() { h.stop(t) })
	return h
}

// runActor runs run on a goroutine of its own and returns a context that
// bounds the test's waits, the cancel of run's context, and where run's
// result arrives. At the test's end stop is called, then the waits' bound
// lifted.
func runActor(t *testing.T, run func(context.Context) error, stop func()) (context.Context, context.CancelFunc, chan error) {
	t.Helper()
	runCtx, cancel := context.WithCancel(context.Background())
	waits, cancelWait := context.WithTimeout(context.Background(), 20*time.Second)
	done := make(chan error, 1)
	go func() { done <- run(runCtx) }()
	t.Cleanup(func() {
		stop()
		cancelWait()
	})
	return waits, cancel, done
}

// stop cancels Run and returns its result.
func (h *connHarness) stop(t *testing.T) error {
	t.Helper()
	h.cancel()
	return h.result(t)
}

// result waits for Run to return and returns its result; later calls return
// the same result.
func (h *connHarness) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-h.done:
		h.done <- err
		return err
	case <-h.ctx.Done():
		t.Fatalf("Run did not return; logged:\n%s", h.logs.Dump())
		return nil
	}
}

func (h *connHarness) waitSubscribed(t *testing.T, n int) {
	t.Helper()
	if err := h.srv.WaitSubscribed(h.ctx, n); err != nil {
		t.Fatalf("waiting for subscription %d: %v; logged:\n%s", n, err, h.logs.Dump())
	}
}

// frame returns the next frame the actor handed on.
func (h *connHarness) frame(t *testing.T) messages.Frame {
	t.Helper()
	return nextFrame(t, h.ctx, h.conn.Out(), h.logs)
}

// nextFrame returns the next frame on out, failing the test, with what was
// logged, if none comes before ctx ends or out closes.
func nextFrame(t *testing.T, ctx context.Context, out <-chan messages.Frame, logs *logtest.Recorder) messages.Frame {
	t.Helper()
	select {
	case f, ok := <-out:
		if !ok {
			t.Fatal("Out closed while a frame was expected")
		}
		return f
	case <-ctx.Done():
		t.Fatalf("no frame arrived; logged:\n%s", logs.Dump())
	}
	return messages.Frame{}
}

// reconnectKey is the attribute every wait before a reconnect is logged with
// (the message says in words what went wrong, so it varies).
const reconnectKey = "delay_from"

// reconnects waits for n records of a wait before a reconnect and returns them.
func (h *connHarness) reconnects(t *testing.T, n int) []*logtest.Record {
	t.Helper()
	recs := h.logs.WaitHaving(h.ctx, t, reconnectKey, n)
	out := make([]*logtest.Record, len(recs))
	for i := range recs {
		out[i] = &recs[i]
	}
	return out
}

func connDelay(r *logtest.Record) time.Duration { return r.Attrs["delay"].Duration() }
func connAttempt(r *logtest.Record) int64       { return r.Attrs["attempt"].Int64() }

func TestConnUpgradeHeadersAndHandshakeOrder(t *testing.T) {
	for _, tt := range []struct {
		name        string
		token       string
		sub         gqlws.Subscription
		wantPayload string // connection_init payload, "" for none
	}{
		{name: "no token, current shape", sub: gqlws.SubCreateTrades},
		{name: "token, older shape", token: "api-token-123", sub: gqlws.SubCreateTrade, wantPayload: `{"token":"api-token-123"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := connStart(t, fakeroll.Options{}, func(c *ConnConfig) {
				c.Token = tt.token
				c.Subscription = tt.sub
			})
			h.waitSubscribed(t, 1)

			s := h.srv.Sessions()[0]
			for header, want := range map[string]string{
				"Cookie":                 "session=s%3Asecret-session",
				"User-Agent":             "Mozilla/5.0 test",
				"Origin":                 "https://www.csgoroll.com",
				"Sec-Websocket-Protocol": gqlws.Subprotocol,
			} {
				if got := s.Header.Get(header); got != want {
					t.Errorf("upgrade header %s = %q, want %q", header, got, want)
				}
			}
			if s.Subprotocol != gqlws.Subprotocol {
				t.Errorf("negotiated subprotocol %q, want %q", s.Subprotocol, gqlws.Subprotocol)
			}
			if len(s.Received) < 2 || s.Received[0].Type != gqlws.TypeConnectionInit || s.Received[1].Type != gqlws.TypeSubscribe {
				t.Fatalf("client sent %v, want connection_init then subscribe", connTypes(s.Received))
			}
			if got := string(s.Received[0].Payload); got != tt.wantPayload {
				t.Errorf("connection_init payload = %q, want %q", got, tt.wantPayload)
			}
			var sub gqlws.SubscribePayload
			if err := json.Unmarshal(s.Received[1].Payload, &sub); err != nil {
				t.Fatalf("subscribe payload: %v", err)
			}
			if !strings.Contains(sub.Query, string(tt.sub)+"(") {
				t.Errorf("subscribe query does not subscribe to %s:\n%s", tt.sub, sub.Query)
			}
		})
	}
}

// The ack must come before subscribe: with acks withheld, no subscribe is sent
// and the session ends after the ack timeout.
func TestConnWaitsForAckBeforeSubscribing(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{})
	srv.WithholdAck(true)
	h := connRun(t, srv, func(c *ConnConfig) { c.AckTimeout = 50 * time.Millisecond })
	r := h.reconnects(t, 1)[0]
	if !strings.Contains(r.String("reason"), "connection_ack") {
		t.Errorf("reason %q, want the ack timeout", r.String("reason"))
	}
	if got := connTypes(srv.Sessions()[0].Received); len(got) != 1 || got[0] != gqlws.TypeConnectionInit {
		t.Errorf("without an ack the client sent %v, want only connection_init", got)
	}
	srv.WithholdAck(false)
	h.waitSubscribed(t, 1)
}

func TestConnForwardsTradesWithReceiveTime(t *testing.T) {
	h := connStart(t, fakeroll.Options{}, nil)
	h.waitSubscribed(t, 1)
	trade := h.srv.NewTrade()
	before := time.Now()
	if n := h.srv.Publish(trade); n != 1 {
		t.Fatalf("Publish reached %d connections, want 1", n)
	}
	f := h.frame(t)
	if !bytes.Contains(f.Data, []byte(trade.ID)) {
		t.Errorf("frame does not carry trade %s: %s", trade.ID, f.Data)
	}
	if f.ReceivedAt.Before(before) {
		t.Errorf("ReceivedAt %v is before the trade was sent (%v)", f.ReceivedAt, before)
	}
	if f.Session != 1 {
		t.Errorf("Session = %d, want 1", f.Session)
	}
}

// Frames the actor cannot classify go to the parser, which reports them; they
// never end the session.
func TestConnForwardsMalformedFramesWithoutReconnecting(t *testing.T) {
	h := connStart(t, fakeroll.Options{}, nil)
	h.waitSubscribed(t, 1)
	for _, raw := range []string{`{not json`, `{"type":"surprise"}`, `[]`} {
		h.srv.SendRaw([]byte(raw))
		if f := h.frame(t); string(f.Data) != raw {
			t.Errorf("forwarded %q, want %q", f.Data, raw)
		}
	}
	trade := h.srv.NewTrade()
	h.srv.Publish(trade)
	if f := h.frame(t); !bytes.Contains(f.Data, []byte(trade.ID)) {
		t.Errorf("after malformed frames, got %s, want trade %s", f.Data, trade.ID)
	}
	if got := h.conn.Sessions(); got != 1 {
		t.Errorf("Sessions() = %d after malformed frames, want 1 (no reconnect)", got)
	}
}

func TestConnAnswersServerPing(t *testing.T) {
	h := connStart(t, fakeroll.Options{}, nil)
	h.waitSubscribed(t, 1)
	h.srv.SendRaw([]byte(`{"type":"ping"}`))
	err := h.srv.Wait(h.ctx, func(ss []fakeroll.Session) bool {
		for _, m := range ss[0].Received {
			if m.Type == gqlws.TypePong {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("no pong for the server's ping: %v", err)
	}
}

func TestConnShutdownUnsubscribesAndClosesNormally(t *testing.T) {
	h := connStart(t, fakeroll.Options{}, nil)
	h.waitSubscribed(t, 1)
	if err := h.stop(t); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
	if _, ok := <-h.conn.Out(); ok {
		t.Error("Out still open after Run returned")
	}
	err := h.srv.Wait(h.ctx, func(ss []fakeroll.Session) bool { return ss[0].Closed })
	if err != nil {
		t.Fatal(err)
	}
	s := h.srv.Sessions()[0]
	if s.ClientCloseCode != 1000 {
		t.Errorf("client closed with %d, want 1000", s.ClientCloseCode)
	}
	if got := connTypes(s.Received); fmt.Sprint(got) != "[connection_init subscribe complete ping]" {
		t.Errorf("client sent %v, want init, subscribe, then complete and the ping that flushes the stream", got)
	}
	if id := s.Received[2].ID; id != gqlws.SubscriptionID {
		t.Errorf("complete for id %q, want %q", id, gqlws.SubscriptionID)
	}
}

// Trades the server sent before it saw the unsubscribe are all handed on, not
// discarded by the close handshake.
func TestConnShutdownKeepsTradesInFlight(t *testing.T) {
	h := connStart(t, fakeroll.Options{}, nil)
	h.waitSubscribed(t, 1)
	// Read Out as the parser does, all along: more trades are in flight than
	// the queue holds.
	frames := make(chan [][]byte, 1)
	go func() {
		var all [][]byte
		for f := range h.conn.Out() {
			all = append(all, f.Data)
		}
		frames <- all
	}()
	var ids []string
	for range 200 {
		tr := h.srv.NewTrade()
		h.srv.Publish(tr)
		ids = append(ids, tr.ID)
	}
	if err := h.stop(t); err != nil {
		t.Fatal(err)
	}
	var got int
	for _, data := range <-frames {
		if got < len(ids) && bytes.Contains(data, []byte(ids[got])) {
			got++
		}
	}
	if got != len(ids) {
		t.Errorf("%d of %d trades sent before shutdown were handed on", got, len(ids))
	}
}

// The reproduction, on real sockets: the parser stops taking frames
// for 600 ms, three ping windows of 200 ms, while 300 trades arrive. The
// connection is not taken for dead, and every trade gets through.
func TestConnParserPauseIsNotAHalfOpenConnection(t *testing.T) {
	h := connRunHooked(t, rolltest.Start(t, fakeroll.Options{}), func(c *ConnConfig) {
		c.PingInterval = 100 * time.Millisecond
		c.PingTimeout = 100 * time.Millisecond
	}, func(c *Conn) { c.out = make(chan messages.Frame, 16) }) // full long before the burst ends
	h.waitSubscribed(t, 1)
	var ids []string
	for range 300 {
		tr := h.srv.NewTrade()
		h.srv.Publish(tr)
		ids = append(ids, tr.ID)
	}
	// The pause is the scenario, not a wait for something to settle.
	<-time.After(600 * time.Millisecond)
	frames := collect(h.conn.Out())
	if err := h.srv.Wait(h.ctx, func(ss []fakeroll.Session) bool { return len(ss) == 1 && connSentPing(ss[0]) }); err != nil {
		t.Fatal(err)
	}
	if err := h.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := carried(<-frames, ids); got != len(ids) {
		t.Errorf("%d of %d trades delivered across the pause", got, len(ids))
	}
	if n := len(h.logs.Having(reconnectKey)); n != 0 || h.conn.Sessions() != 1 {
		t.Errorf("the pause cost the connection: %d sessions:\n%s", h.conn.Sessions(), h.logs.Dump())
	}
}

func TestConnReconnectsAfterDropAndResetsBackoff(t *testing.T) {
	h := connStart(t, fakeroll.Options{}, nil)
	h.waitSubscribed(t, 1)

	// A session with no trade does not reset the schedule...
	h.srv.RefuseNext(3, http.StatusServiceUnavailable, nil)
	h.srv.DropAll()
	h.waitSubscribed(t, 2)
	h.srv.DropAll()
	h.waitSubscribed(t, 3)
	recs := h.reconnects(t, 5)
	var got []time.Duration
	for _, r := range recs {
		got = append(got, connDelay(r))
	}
	want := []time.Duration{1, 2, 4, 8, 8}
	for i := range want {
		want[i] *= time.Millisecond
		if got[i] != want[i] || connAttempt(recs[i]) != int64(i+1) {
			t.Errorf("reconnect %d: delay %v attempt %d, want %v attempt %d", i, got[i], connAttempt(recs[i]), want[i], i+1)
		}
	}

	// ...a session that received a trade does.
	h.srv.Publish(h.srv.NewTrade())
	h.frame(t)
	h.srv.DropAll()
	h.waitSubscribed(t, 4)
	r := h.reconnects(t, 6)[5]
	if connDelay(r) != time.Millisecond || connAttempt(r) != 1 {
		t.Errorf("after a productive session: delay %v attempt %d, want 1ms attempt 1", connDelay(r), connAttempt(r))
	}
	if r.String("reason") == "" {
		t.Errorf("reconnecting record has no reason: %+v", r.Attrs)
	}
	// Frames of the new session say so: sessions 2 to 4 were refused dials.
	h.srv.Publish(h.srv.NewTrade())
	if f := h.frame(t); f.Session != 7 {
		t.Errorf("frame from session %d, want 7", f.Session)
	}
}

func TestConnRefusedUpgradesFollowTheSchedule(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{})
	srv.RefuseNext(6, http.StatusBadGateway, nil)
	h := connRun(t, srv, nil)
	h.waitSubscribed(t, 1)
	recs := h.reconnects(t, 6)
	for i, want := range []time.Duration{1, 2, 4, 8, 8, 8} {
		want *= time.Millisecond
		if connDelay(recs[i]) != want {
			t.Errorf("wait %d = %v, want %v", i+1, connDelay(recs[i]), want)
		}
		if !strings.Contains(recs[i].String("reason"), "502") {
			t.Errorf("wait %d reason %q does not name the HTTP status", i+1, recs[i].String("reason"))
		}
	}
	if got := h.srv.Refused(); got != 6 {
		t.Errorf("server refused %d upgrades, want 6", got)
	}
}

func TestConnHonoursRetryAfter(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{})
	srv.RefuseNext(1, http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}})
	h := connRun(t, srv, nil)
	r := h.reconnects(t, 1)[0]
	if connDelay(r) != 7*time.Second {
		t.Errorf("delay after Retry-After: 7 = %v, want 7s", connDelay(r))
	}
	// The wait is interrupted by shutdown.
	if err := h.stop(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

func TestConnWarnsOnForbiddenUpgrade(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{})
	srv.RefuseNext(1, http.StatusForbidden, nil)
	h := connRun(t, srv, nil)
	h.waitSubscribed(t, 1)
	var warned bool
	for _, r := range h.logs.Records() {
		if r.Level == slog.LevelWarn && strings.Contains(r.Message, "Cloudflare") && strings.Contains(r.Message, "ROLL_SESSION") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning naming the session and Cloudflare; logged:\n%s", h.logs.Dump())
	}
}

func TestConnAbandonsHalfOpenConnection(t *testing.T) {
	h := connStart(t, fakeroll.Options{}, func(c *ConnConfig) {
		c.PingInterval = 20 * time.Millisecond
		c.PingTimeout = 30 * time.Millisecond
	})
	h.waitSubscribed(t, 1)
	h.srv.Silence()
	r := h.reconnects(t, 1)[0]
	if !strings.Contains(r.String("reason"), "ping-timeout") {
		t.Errorf("reason %q, want the ping timeout", r.String("reason"))
	}
	h.waitSubscribed(t, 2)
	// The session kept alive by pongs was not abandoned before the silence.
	if got := h.srv.Sessions()[0]; !connSentPing(got) {
		t.Errorf("client never pinged: %v", connTypes(got.Received))
	}
}

func connSentPing(s fakeroll.Session) bool {
	for _, m := range s.Received {
		if m.Type == gqlws.TypePing {
			return true
		}
	}
	return false
}

// Pongs keep a quiet connection alive: with pings far more frequent than the
// timeout, many ping rounds pass without a reconnect.
func TestConnKeepsQuietConnectionAliveWithPings(t *testing.T) {
	h := connStart(t, fakeroll.Options{}, func(c *ConnConfig) {
		c.PingInterval = 5 * time.Millisecond
		c.PingTimeout = 10 * time.Second
	})
	h.waitSubscribed(t, 1)
	err := h.srv.Wait(h.ctx, func(ss []fakeroll.Session) bool {
		pings := 0
		for _, m := range ss[0].Received {
			if m.Type == gqlws.TypePing {
				pings++
			}
		}
		return pings >= 10
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.conn.Sessions(); got != 1 {
		t.Errorf("Sessions() = %d, want 1: pongs should keep the connection", got)
	}
}

func TestConnServerEndsSubscription(t *testing.T) {
	for _, tt := range []struct{ frame, reason string }{
		{`{"id":"1","type":"complete"}`, "completed"},
		{`{"id":"1","type":"error","payload":[{"message":"field createTrades is gone"}]}`, "field createTrades is gone"},
	} {
		t.Run(tt.reason, func(t *testing.T) {
			h := connStart(t, fakeroll.Options{}, nil)
			h.waitSubscribed(t, 1)
			h.srv.SendRaw([]byte(tt.frame))
			if r := h.reconnects(t, 1)[0]; !strings.Contains(r.String("reason"), tt.reason) {
				t.Errorf("reason %q, want it to contain %q", r.String("reason"), tt.reason)
			}
			h.waitSubscribed(t, 2)
		})
	}
}

func TestConnRetriesRetryableCloseCodes(t *testing.T) {
	for _, code := range []int{1001, 1011, 1012, 1013, 1014, gqlws.CloseConnectionInitTimeout, gqlws.CloseSubscriberAlreadyExists,
		gqlws.CloseTooManyInitialisationReqs, gqlws.CloseInternalServerError, 4000} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			h := connStart(t, fakeroll.Options{}, nil)
			h.waitSubscribed(t, 1)
			h.srv.CloseAll(code, "test")
			h.waitSubscribed(t, 2)
			if r := h.reconnects(t, 1)[0]; !strings.Contains(r.String("reason"), fmt.Sprint(code)) {
				t.Errorf("reason %q does not name close code %d", r.String("reason"), code)
			}
		})
	}
}

func TestConnStopsOnFatalAnswers(t *testing.T) {
	for _, tt := range []struct {
		name    string
		prep    func(*fakeroll.Server) // before the first dial
		fault   func(*fakeroll.Server) // once subscribed
		opts    fakeroll.Options
		wantFix string
	}{
		{name: "4403 session rejected", opts: fakeroll.Options{RequireSession: "another-session"}, wantFix: "ROLL_SESSION"},
		{name: "HTTP 401", prep: func(s *fakeroll.Server) { s.RefuseNext(1, http.StatusUnauthorized, nil) }, wantFix: "ROLL_SESSION"},
		{name: "4401", fault: func(s *fakeroll.Server) { s.CloseAll(gqlws.CloseUnauthorized, "Unauthorized") }, wantFix: "ROLL_SESSION"},
		{name: "4400", fault: func(s *fakeroll.Server) { s.CloseAll(gqlws.CloseBadRequest, "bad") }, wantFix: "-subscription"},
		{name: "4406", fault: func(s *fakeroll.Server) { s.CloseAll(gqlws.CloseSubprotocolNotAcceptable, "no") }, wantFix: "-url"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := rolltest.Start(t, tt.opts)
			if tt.prep != nil {
				tt.prep(srv)
			}
			h := connRun(t, srv, nil)
			if tt.fault != nil {
				h.waitSubscribed(t, 1)
				tt.fault(srv)
			}
			err := h.result(t)
			var fatal *gqlws.FatalError
			if !errors.As(err, &fatal) {
				t.Fatalf("Run = %v, want a *gqlws.FatalError", err)
			}
			if !strings.Contains(err.Error(), tt.wantFix) {
				t.Errorf("error %q does not name %s", err, tt.wantFix)
			}
			if strings.Contains(err.Error(), "secret-session") {
				t.Errorf("error %q shows the session", err)
			}
			if n := len(h.logs.Having(reconnectKey)); n != 0 {
				t.Errorf("%d reconnects after a fatal answer, want none", n)
			}
			if _, ok := <-h.conn.Out(); ok {
				t.Error("Out still open after Run returned")
			}
		})
	}
}

func TestConnNeverLogsSecrets(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{})
	srv.RefuseNext(2, http.StatusForbidden, nil)
	h := connRun(t, srv, func(c *ConnConfig) { c.Token = "tok-secret" })
	h.waitSubscribed(t, 1)
	h.srv.DropAll()
	h.waitSubscribed(t, 2)
	if dump := h.logs.Dump(); strings.Contains(dump, "secret") {
		t.Errorf("a secret was logged:\n%s", dump)
	}
}

// A server that echoes the session or the token in its answer does not get
// them into the log.
func TestConnRedactsSecretsTheServerEchoes(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad request: "+r.Header.Get("Cookie"), http.StatusBadRequest)
	}))
	t.Cleanup(echo.Close)
	h := connRunHooked(t, rolltest.Start(t, fakeroll.Options{}), func(c *ConnConfig) {
		c.URL = "ws" + strings.TrimPrefix(echo.URL, "http") + "/ws"
	}, nil)
	r := h.reconnects(t, 1)[0]
	if !strings.Contains(r.String("server_said"), "session=<secret>") {
		t.Errorf("server_said %q, want the echoed cookie with its value hidden", r.String("server_said"))
	}
	if dump := h.logs.Dump(); strings.Contains(dump, "secret-session") {
		t.Errorf("the session was logged:\n%s", dump)
	}
}

func connTypes(ms []gqlws.Envelope) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Type)
	}
	return out
}

// A frame over the read limit ends the session (the library closes it with
// 1009) and the actor reconnects.
func TestConnOversizeFrameEndsSessionAndReconnects(t *testing.T) {
	h := connStart(t, fakeroll.Options{}, func(c *ConnConfig) { c.ReadLimit = 1024 })
	h.waitSubscribed(t, 1)
	h.srv.SendRaw(bytes.Repeat([]byte("x"), 4096))
	r := h.reconnects(t, 1)[0]
	if !strings.Contains(r.String("reason"), "read limit of 1024 bytes") {
		t.Errorf("reason %q, want it to name the read limit", r.String("reason"))
	}
	h.waitSubscribed(t, 2)
}

// Binary frames, which the real feed never sends, are skipped and counted, and
// said once a session however many come: a feed of them cannot flood the log.
func TestConnSkipsBinaryFramesWithOneWarning(t *testing.T) {
	h := connStart(t, fakeroll.Options{}, nil)
	h.waitSubscribed(t, 1)
	for range 50 {
		h.srv.SendBinary([]byte{0xde, 0xad, 0xbe, 0xef})
	}
	tr := h.srv.NewTrade()
	h.srv.Publish(tr)
	if f := h.frame(t); !bytes.Contains(f.Data, []byte(tr.ID)) {
		t.Fatalf("the frame after the binary ones is %q, want the trade", f.Data)
	}
	const msg = "skipping binary frames: the feed's messages are text; more this session are skipped without a word"
	if n := len(h.logs.Matching(msg)); n != 1 {
		t.Errorf("%d warnings for 50 binary frames, want 1:\n%s", n, h.logs.Dump())
	}
	if got := h.conn.Stats().Frames; got < 51 {
		t.Errorf("counted %d frames, want the 50 binary ones and the trade at least", got)
	}
	if len(h.srv.Sessions()) != 1 {
		t.Error("binary frames ended the session")
	}
}

// An upgrade that succeeds without the feed's subprotocol is a protocol
// error, said as one, and retried: whether the server offers none or another.
func TestConnWrongSubprotocolIsAProtocolError(t *testing.T) {
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"none", func(w http.ResponseWriter, r *http.Request) {
			ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // offers no subprotocol
			if err == nil {
				ws.CloseNow()
			}
		}, "with no subprotocol, not graphql-transport-ws"},
		{"another", func(w http.ResponseWriter, r *http.Request) {
			// The legacy protocol's name, which the client never offered.
			sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
			w.Header().Set("Connection", "Upgrade")
			w.Header().Set("Upgrade", "websocket")
			w.Header().Set("Sec-WebSocket-Accept", base64.StdEncoding.EncodeToString(sum[:]))
			w.Header().Set("Sec-WebSocket-Protocol", "graphql-ws")
			w.WriteHeader(http.StatusSwitchingProtocols)
		}, `with subprotocol "graphql-ws", not graphql-transport-ws`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			t.Cleanup(srv.Close)
			h := connRunHooked(t, rolltest.Start(t, fakeroll.Options{}), func(c *ConnConfig) {
				c.URL = "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
			}, nil)
			r := h.reconnects(t, 1)[0]
			if r.String("kind") != gqlws.ReasonProtocolError || !strings.Contains(r.Message, "protocol error") || !strings.Contains(r.Message, tt.want) {
				t.Errorf("%s %q, want a protocol error saying %q", r.String("kind"), r.Message, tt.want)
			}
			if !strings.Contains(r.Message, "check -url (ROLL_WS_URL)") {
				t.Errorf("%q does not name -url", r.Message)
			}
		})
	}
}

// Refusals that a wrong setting explains (HTTP 404 at the upgrade, an error
// answer to the subscribe) are retried for ever, and said at error level
// from the third in a row, naming the setting and with the server's words.
func TestConnRepeatedRefusalsNameTheSetting(t *testing.T) {
	t.Run("HTTP 404", func(t *testing.T) {
		srv := rolltest.Start(t, fakeroll.Options{})
		srv.RefuseNext(4, http.StatusNotFound, nil)
		h := connRun(t, srv, nil)
		h.waitSubscribed(t, 1) // it kept trying
		recs := h.reconnects(t, 4)
		for i, r := range recs {
			want := slog.LevelWarn
			if i == 2 {
				want = slog.LevelError
			}
			if r.Level != want {
				t.Errorf("refusal %d at %v, want %v", i+1, r.Level, want)
			}
		}
		if r := recs[2]; !strings.Contains(r.Message, "check -url (ROLL_WS_URL)") || r.String("server_said") != "Not Found" {
			t.Errorf("third refusal: %q server_said %q; want -url named and the server's %q", r.Message, r.String("server_said"), "Not Found")
		}
	})
	t.Run("error answer to the subscribe", func(t *testing.T) {
		h := connStart(t, fakeroll.Options{}, nil)
		for i := 1; i <= 3; i++ {
			h.waitSubscribed(t, i)
			h.srv.SendRaw([]byte(`{"id":"1","type":"error","payload":[{"message":"Cannot query field \"createTrades\" on type \"Subscription\"."}]}`))
			h.reconnects(t, i)
		}
		r := h.reconnects(t, 3)[2]
		if r.Level != slog.LevelError || !strings.Contains(r.Message, "check -subscription (ROLL_SUBSCRIPTION)") ||
			!strings.Contains(r.Message, `Cannot query field "createTrades"`) {
			t.Errorf("third rejection at %v: %q; want error level, -subscription named and the server's words", r.Level, r.Message)
		}
		h.waitSubscribed(t, 4)
	})
}

// A feed that cannot be reached at all is said in words, as a connection
// that never succeeded, with the library's text kept beside them.
func TestConnUnreachableFeedIsSaidInWords(t *testing.T) {
	h := connRunHooked(t, rolltest.Start(t, fakeroll.Options{}), func(c *ConnConfig) {
		c.URL = "ws://" + closedAddr(t) + "/ws"
	}, nil)
	r := h.reconnects(t, 1)[0]
	if want := "cannot reach 127.0.0.1: connection refused; check the network, and -url (ROLL_WS_URL); retrying in 1ms, forever"; r.Message != want {
		t.Errorf("logged %q, want %q", r.Message, want)
	}
	if !strings.Contains(r.String("reason"), "connection refused") || !strings.HasPrefix(r.String("reason"), "dial: ") {
		t.Errorf("reason %q: want the library's own text", r.String("reason"))
	}
}
