package fakeroll

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

func TestHandshakeAndRecording(t *testing.T) {
	s := startServer(t, Options{Seed: 1})
	if !strings.HasPrefix(s.URL(), "ws://127.0.0.1:") || !strings.HasSuffix(s.URL(), "/ws") {
		t.Fatalf("URL() = %q", s.URL())
	}
	header := http.Header{
		"Cookie":     {"session=s%3Aabc"},
		"User-Agent": {"Mozilla/5.0 Chrome/126.0"},
		"Origin":     {"https://www.csgoroll.com"},
	}
	c := dial(t, s.URL(), dialOpts(t, header))

	c.send(`{"type":"ping"}`)
	c.expect(`{"type":"pong","payload":{}}`)
	c.handshake()
	c.send(`{"type":"ping","payload":{}}`)
	c.expect(`{"type":"pong","payload":{}}`)
	c.send(`{"type":"pong"}`)
	c.subscribe("1", gqlws.SubCreateTrades)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := s.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}

	ss := s.Sessions()
	if len(ss) != 1 {
		t.Fatalf("%d sessions, want 1", len(ss))
	}
	got := ss[0]
	for _, h := range []string{"Cookie", "User-Agent", "Origin"} {
		if got.Header.Get(h) != header.Get(h) {
			t.Errorf("recorded %s %q, want %q", h, got.Header.Get(h), header.Get(h))
		}
	}
	if got.Header.Get("Sec-WebSocket-Protocol") != gqlws.Subprotocol || got.Subprotocol != gqlws.Subprotocol {
		t.Errorf("subprotocol header %q, negotiated %q", got.Header.Get("Sec-WebSocket-Protocol"), got.Subprotocol)
	}
	var types []string
	for _, e := range got.Received {
		types = append(types, e.Type)
	}
	wantTypes := []string{"ping", "connection_init", "ping", "pong", "subscribe"}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Errorf("received %v, want %v", types, wantTypes)
	}
	var sub gqlws.SubscribePayload
	if err := json.Unmarshal(got.Received[4].Payload, &sub); err != nil || sub.OperationName != "OnCreateTrades" {
		t.Errorf("recorded subscribe payload %s (%v)", got.Received[4].Payload, err)
	}
	if !got.Acked || !got.Subscribed || got.Subscription != gqlws.SubCreateTrades || got.Closed || got.ClientCloseCode != 0 {
		t.Errorf("session %s", got)
	}

	// The snapshot is a copy.
	ss[0].Received[0].Type = "changed"
	ss[0].Header.Set("Cookie", "changed")
	if again := s.Sessions()[0]; again.Received[0].Type != "ping" || again.Header.Get("Cookie") != header.Get("Cookie") {
		t.Error("changing a snapshot changed the server's record")
	}

	if err := c.ws.Close(1000, "bye"); err != nil {
		t.Fatalf("client close: %v", err)
	}
	if end := waitClosed(t, s, 0); end.ClientCloseCode != 1000 || end.ServerCloseCode != 0 {
		t.Errorf("after the client's close: %s", end)
	}
}

func TestServeHTTPBehindAnotherServer(t *testing.T) {
	s := New(Options{})
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		hs.Close()
	})
	if s.URL() != "" {
		t.Errorf("URL() = %q before Start, want empty", s.URL())
	}
	c := dial(t, "ws"+strings.TrimPrefix(hs.URL, "http")+"/ws", nil)
	c.handshake()
	c.subscribe("a", gqlws.SubCreateTrade)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := s.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := s.Publish(s.NewTrade()); n != 1 {
		t.Fatalf("Publish reached %d connections, want 1", n)
	}
	if id, field, trades := nextTrades(t, c.read()); id != "a" || field != gqlws.SubCreateTrade || len(trades) != 1 {
		t.Errorf("got %s %s with %d trades", id, field, len(trades))
	}
}

func TestCloseCodes(t *testing.T) {
	const init = `{"type":"connection_init"}`
	tests := []struct {
		name   string
		opts   Options
		header http.Header
		noSub  bool     // offer no subprotocol
		send   []string // before the close; replies are read and logged
		code   int
		reason string
	}{
		{name: "subprotocol not offered", noSub: true,
			code: gqlws.CloseSubprotocolNotAcceptable, reason: "Subprotocol not acceptable"},
		{name: "no connection_init", opts: Options{InitTimeout: 20 * time.Millisecond},
			code: gqlws.CloseConnectionInitTimeout, reason: "Connection initialisation timeout"},
		{name: "second connection_init", send: []string{init, init},
			code: gqlws.CloseTooManyInitialisationReqs, reason: "Too many initialisation requests"},
		{name: "no session cookie", opts: Options{RequireSession: "good"}, send: []string{init},
			code: gqlws.CloseForbidden, reason: "Forbidden"},
		{name: "wrong session cookie", opts: Options{RequireSession: "good"}, header: http.Header{"Cookie": {"session=bad"}},
			send: []string{init}, code: gqlws.CloseForbidden, reason: "Forbidden"},
		{name: "subscribe before ack", send: []string{`{"id":"1","type":"subscribe","payload":{"query":"subscription { createTrades { trades { id } } }"}}`},
			code: gqlws.CloseUnauthorized, reason: "Unauthorized"},
		{name: "subscriber exists", send: []string{init,
			`{"id":"1","type":"subscribe","payload":{"query":"subscription { createTrades { trades { id } } }"}}`,
			`{"id":"1","type":"subscribe","payload":{"query":"subscription { createTrade { trade { id } } }"}}`},
			code: gqlws.CloseSubscriberAlreadyExists, reason: "Subscriber for 1 already exists"},
		{name: "not JSON", send: []string{"hello"}, code: gqlws.CloseBadRequest, reason: "Invalid message received"},
		{name: "no type", send: []string{`{"payload":{}}`}, code: gqlws.CloseBadRequest, reason: "Invalid message received"},
		{name: "unknown type", send: []string{`{"type":"start"}`}, code: gqlws.CloseBadRequest, reason: "Invalid message received"},
		{name: "subscribe without id", send: []string{init, `{"type":"subscribe","payload":{"query":"subscription { createTrades { trades { id } } }"}}`},
			code: gqlws.CloseBadRequest, reason: "Invalid message received"},
		{name: "subscribe without query", send: []string{init, `{"id":"1","type":"subscribe","payload":{}}`},
			code: gqlws.CloseBadRequest, reason: "Invalid message received"},
		{name: "init payload not an object", send: []string{`{"type":"connection_init","payload":"x"}`},
			code: gqlws.CloseBadRequest, reason: "Invalid message received"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, tt.opts)
			opts := dialOpts(t, tt.header)
			if tt.noSub {
				opts.Subprotocols = nil
			}
			c := dial(t, s.URL(), opts)
			for _, m := range tt.send {
				c.send(m)
			}
			c.expectClose(tt.code, tt.reason)
			got := waitClosed(t, s, 0)
			if got.ServerCloseCode != tt.code || got.ClientCloseCode != tt.code {
				t.Errorf("session %s: want server and client (echo) close %d", got, tt.code)
			}
			if len(got.Received) != len(tt.send) {
				t.Errorf("recorded %d messages, want %d", len(got.Received), len(tt.send))
			}
		})
	}
}

func TestRequireSessionAccepts(t *testing.T) {
	s := startServer(t, Options{RequireSession: "s%3Agood"})
	c := dial(t, s.URL(), dialOpts(t, http.Header{"Cookie": {"other=1; session=s%3Agood"}}))
	c.handshake()
}

func TestRecordsUnparseableText(t *testing.T) {
	s := startServer(t, Options{})
	c := dial(t, s.URL(), nil)
	c.send("not json")
	c.expectClose(gqlws.CloseBadRequest, "Invalid message received")
	got := waitClosed(t, s, 0)
	if len(got.Received) != 1 || got.Received[0].Type != "" || string(got.Received[0].Payload) != `"not json"` {
		t.Errorf("recorded %+v", got.Received)
	}
}

func TestPublishShapes(t *testing.T) {
	g := NewGenerator(7)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	trades := []Trade{g.Next(now), g.Next(now.Add(time.Second))}
	for _, field := range []gqlws.Subscription{gqlws.SubCreateTrades, gqlws.SubCreateTrade} {
		t.Run(string(field), func(t *testing.T) {
			s := startServer(t, Options{})
			c := subscribed(t, s, field)
			if n := s.Publish(trades...); n != 1 {
				t.Fatalf("Publish reached %d, want 1", n)
			}
			var got []Trade
			for len(got) < len(trades) {
				data := c.read()
				id, f, ts := nextTrades(t, data)
				if id != "1" || f != field {
					t.Fatalf("next for %q in shape %s, want 1 in %s", id, f, field)
				}
				if field == gqlws.SubCreateTrade && strings.Contains(string(data), `"canJoin"`) {
					t.Errorf("createTrade frame carries canJoin: %s", data)
				}
				got = append(got, ts...)
			}
			want := trades
			if field == gqlws.SubCreateTrade {
				want = []Trade{legacyOnly(trades[0]), legacyOnly(trades[1])}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("client got\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestPublishBatchesInOneNext(t *testing.T) {
	s := startServer(t, Options{})
	c := subscribed(t, s, gqlws.SubCreateTrades)
	if n := s.Publish(s.NewTrade(), s.NewTrade(), s.NewTrade()); n != 1 {
		t.Fatalf("Publish reached %d, want 1", n)
	}
	if _, _, ts := nextTrades(t, c.read()); len(ts) != 3 {
		t.Errorf("one next carried %d trades, want 3", len(ts))
	}
}

func TestPublishReachesEverySubscriber(t *testing.T) {
	s := startServer(t, Options{})
	a := subscribed(t, s, gqlws.SubCreateTrades)
	b := subscribed(t, s, gqlws.SubCreateTrade)
	idle := dial(t, s.URL(), nil) // connected, never subscribed
	idle.handshake()
	if n := s.Publish(s.NewTrade()); n != 2 {
		t.Fatalf("Publish reached %d, want 2", n)
	}
	nextTrades(t, a.read())
	nextTrades(t, b.read())
	if n := s.SendRaw([]byte(`{"id":"1","type":"next","payload":{"data":null}}`)); n != 2 {
		t.Fatalf("SendRaw reached %d, want 2", n)
	}
	a.expect(`{"id":"1","type":"next","payload":{"data":null}}`)
	if n := s.Publish(); n != 0 {
		t.Errorf("Publish() with no trades reached %d", n)
	}
}

func TestUnknownSubscriptionField(t *testing.T) {
	s := startServer(t, Options{})
	c := dial(t, s.URL(), nil)
	c.handshake()
	c.send(`{"id":"u1","type":"subscribe","payload":{"query":"subscription OnUpdate($userId: ID) { updateTrade(userId: $userId) { trade { id } } }"}}`)
	c.expect(`{"id":"u1","type":"error","payload":[{"message":"Cannot query field \"updateTrade\" on type \"Subscription\"."}]}`)
	// The connection stays open and the id is free again.
	c.subscribe("u1", gqlws.SubCreateTrades)
	waitFor(t, s, "subscribed", func(ss []Session) bool { return ss[0].Subscribed })
}

func TestCompleteStopsSending(t *testing.T) {
	s := startServer(t, Options{})
	c := subscribed(t, s, gqlws.SubCreateTrades)
	c.send(`{"id":"1","type":"complete"}`)
	waitFor(t, s, "complete recorded", func(ss []Session) bool {
		r := ss[0].Received
		return r[len(r)-1].Type == gqlws.TypeComplete
	})
	if n := s.Publish(s.NewTrade()); n != 0 {
		t.Errorf("Publish reached %d after complete, want 0", n)
	}
	if got := s.Sessions()[0]; !got.Subscribed {
		t.Error("Subscribed cleared by complete; it records that the client ever subscribed")
	}
	if got := s.Unsubscribes(); got != 1 {
		t.Errorf("Unsubscribes() = %d after one complete, want 1", got)
	}
	// A complete for no subscription ends nothing and is not counted.
	c.send(`{"id":"9","type":"complete"}`)
	waitFor(t, s, "second complete recorded", func(ss []Session) bool { return len(ss[0].Received) == 4 })
	if got := s.Unsubscribes(); got != 1 {
		t.Errorf("Unsubscribes() = %d after a complete for no subscription, want still 1", got)
	}
}

// A ping's payload comes back in its pong, as graphql-ws does it, so a client
// can tell its own pong from another.
func TestPongEchoesThePingPayload(t *testing.T) {
	s := startServer(t, Options{})
	c := dial(t, s.URL(), nil)
	for _, tt := range []struct{ ping, pong string }{
		{`{"type":"ping","payload":{"barrier":"7f3a"}}`, `{"type":"pong","payload":{"barrier":"7f3a"}}`},
		{`{"type":"ping","payload":{"n":[1,{"x":null}]}}`, `{"type":"pong","payload":{"n":[1,{"x":null}]}}`},
		{`{"type":"ping","payload":null}`, `{"type":"pong","payload":{}}`},
		{`{"type":"ping"}`, `{"type":"pong","payload":{}}`},
	} {
		c.send(tt.ping)
		c.expect(tt.pong)
	}
}

// With Heartbeat set, a subscribed client gets pongs it never asked for.
func TestHeartbeatSendsUnpromptedPongs(t *testing.T) {
	s := startServer(t, Options{Heartbeat: time.Millisecond})
	c := subscribed(t, s, gqlws.SubCreateTrades)
	for range 3 {
		c.expect(`{"type":"pong"}`)
	}
	for _, m := range s.Sessions()[0].Received {
		if m.Type == gqlws.TypePing {
			t.Fatalf("the client pinged, so a pong may have been an answer: %v", s.Sessions()[0])
		}
	}
}

func TestAutoMode(t *testing.T) {
	s := startServer(t, Options{TradeInterval: time.Millisecond, BatchMax: 3, Seed: 3})
	c := subscribed(t, s, gqlws.SubCreateTrades)
	seen := map[int]bool{}
	for range 40 {
		_, _, ts := nextTrades(t, c.read())
		if len(ts) < 1 || len(ts) > 3 {
			t.Fatalf("a tick sent %d trades, want 1 to 3", len(ts))
		}
		seen[len(ts)] = true
	}
	if len(seen) < 2 {
		t.Errorf("40 ticks all sent the same number of trades: %v", seen)
	}
}

func TestWaitDescribesSessionsOnTimeout(t *testing.T) {
	s := startServer(t, Options{})
	c := dial(t, s.URL(), nil)
	c.handshake()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := s.WaitSubscribed(ctx, 1)
	if err == nil || !strings.Contains(err.Error(), "acked=true subscribed=false") || !strings.Contains(err.Error(), "connection_init") {
		t.Errorf("WaitSubscribed error = %v", err)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	s, err := Start(Options{TradeInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	url := s.URL()
	c := subscribed(t, s, gqlws.SubCreateTrades)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for {
		if _, err := c.readErr(testTimeout); err != nil {
			break
		}
	}
	if got := s.Sessions()[0]; !got.Closed {
		t.Errorf("after Close: %s", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if ws, _, err := websocket.Dial(ctx, url, dialOpts(t, nil)); err == nil {
		_ = ws.CloseNow()
		t.Error("dial after Close succeeded")
	}
}

// With TakeTurns each Publish writes first to the next connection in turn,
// and still to all of them; without it, always in order of connection.
func TestPublishTakesTurns(t *testing.T) {
	for _, turns := range []bool{false, true} {
		s := startServer(t, Options{TakeTurns: turns})
		clients := make([]*client, 3)
		for i := range clients {
			clients[i] = dial(t, s.URL(), nil)
			clients[i].handshake()
			clients[i].subscribe("1", gqlws.SubCreateTrades)
		}
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := s.WaitSubscribed(ctx, len(clients)); err != nil {
			t.Fatal(err)
		}
		byConnection := s.openConns()
		for call := 1; call <= 2*len(clients); call++ {
			first := 0
			if turns {
				first = call % len(clients)
			}
			order := s.publishOrder()
			for i, c := range order {
				if want := byConnection[(first+i)%len(clients)]; c != want {
					t.Errorf("TakeTurns %t, call %d: connection %d of the order is not the %d-th connected", turns, call, i, (first+i)%len(clients))
				}
			}
		}
		if n := s.Publish(s.NewTrade()); n != len(clients) {
			t.Errorf("TakeTurns %t: Publish reached %d connections, want %d", turns, n, len(clients))
		}
		for i, c := range clients {
			if _, _, trades := nextTrades(t, c.read()); len(trades) != 1 {
				t.Errorf("TakeTurns %t: client %d got %d trades, want 1", turns, i, len(trades))
			}
		}
	}
}
