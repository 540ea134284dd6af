package fakeroll

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

func TestRefuseNext(t *testing.T) {
	s := startServer(t, Options{})
	s.RefuseNext(2, http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}})
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		ws, resp, err := websocket.Dial(ctx, s.URL(), dialOpts(t, nil))
		cancel()
		if err == nil {
			_ = ws.CloseNow()
			t.Fatalf("dial %d upgraded, want a refusal", i+1)
		}
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
			t.Fatalf("dial %d: %v, response %+v", i+1, err, resp)
		}
	}
	dial(t, s.URL(), nil).handshake()
	if s.Refused() != 2 || len(s.Sessions()) != 1 {
		t.Errorf("Refused() = %d, %d sessions; want 2 and 1", s.Refused(), len(s.Sessions()))
	}
}

func TestDropAll(t *testing.T) {
	s := startServer(t, Options{})
	c := subscribed(t, s, gqlws.SubCreateTrades)
	s.DropAll()
	if got := s.Sessions()[0]; !got.Closed || got.ClientCloseCode != -1 || got.ServerCloseCode != 0 {
		t.Errorf("after DropAll: %s", got)
	}
	_, err := c.readErr(testTimeout)
	if err == nil || websocket.CloseStatus(err) != -1 {
		t.Errorf("client read ended with %v, want an error without a close frame", err)
	}
	if n := s.Publish(s.NewTrade()); n != 0 {
		t.Errorf("Publish reached %d dropped connections", n)
	}
}

func TestDropEvery(t *testing.T) {
	s := startServer(t, Options{DropEvery: 20 * time.Millisecond})
	c := subscribed(t, s, gqlws.SubCreateTrades)
	_, err := c.readErr(testTimeout)
	if err == nil || websocket.CloseStatus(err) != -1 || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("client read ended with %v, want the connection dropped", err)
	}
	if got := waitClosed(t, s, 0); got.ClientCloseCode != -1 || got.ServerCloseCode != 0 {
		t.Errorf("after the drop: %s", got)
	}
}

func TestCloseAll(t *testing.T) {
	s := startServer(t, Options{})
	a := subscribed(t, s, gqlws.SubCreateTrades)
	b := dial(t, s.URL(), nil)
	b.handshake()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.CloseAll(4500, "going down")
	}()
	// The clients answer the close frame as they read it.
	a.expectClose(4500, "going down")
	b.expectClose(4500, "going down")
	<-done
	for i, got := range s.Sessions() {
		if !got.Closed || got.ServerCloseCode != 4500 || got.ClientCloseCode != 4500 {
			t.Errorf("session %d after CloseAll: %s", i, got)
		}
	}
}

func TestSilence(t *testing.T) {
	s := startServer(t, Options{})
	quiet := subscribed(t, s, gqlws.SubCreateTrades)
	s.Silence()
	if got := s.Sessions()[0]; !got.Silenced {
		t.Fatalf("after Silence: %s", got)
	}
	if n := s.Publish(s.NewTrade()); n != 0 {
		t.Errorf("Publish reached %d silenced connections", n)
	}
	if n := s.SendRaw([]byte(`{}`)); n != 0 {
		t.Errorf("SendRaw reached %d silenced connections", n)
	}

	// A new connection behaves normally, and is the only one Publish reaches.
	loud := subscribed(t, s, gqlws.SubCreateTrades)
	if n := s.Publish(s.NewTrade()); n != 1 {
		t.Errorf("Publish reached %d, want the new connection only", n)
	}
	nextTrades(t, loud.read())

	// The silenced one still reads and records, and answers nothing: no pong,
	// no WebSocket pong either.
	quiet.send(`{"type":"ping"}`)
	waitFor(t, s, "ping recorded", func(ss []Session) bool {
		r := ss[0].Received
		return r[len(r)-1].Type == gqlws.TypePing
	})
	readDone := make(chan struct{})
	go func() { // Ping needs a reader
		defer close(readDone)
		_, _, _ = quiet.ws.Read(context.Background())
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := quiet.ws.Ping(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WebSocket ping on a silenced connection: %v, want no pong", err)
	}
	if got := s.Sessions()[0]; got.Closed {
		t.Errorf("silenced connection ended: %s", got)
	}
	_ = quiet.ws.CloseNow()
	<-readDone
}

func TestWithholdAck(t *testing.T) {
	s := startServer(t, Options{})
	s.WithholdAck(true)
	c := dial(t, s.URL(), nil)
	c.send(`{"type":"connection_init"}`)
	c.send(`{"type":"ping"}`)
	// The pong comes, the ack never does: the server never acknowledged, so a
	// subscribe is unauthorised.
	c.expect(`{"type":"pong","payload":{}}`)
	c.subscribe("1", gqlws.SubCreateTrades)
	c.expectClose(gqlws.CloseUnauthorized, "Unauthorized")
	if got := waitClosed(t, s, 0); got.Acked {
		t.Errorf("withheld ack recorded as sent: %s", got)
	}

	s.WithholdAck(false)
	dial(t, s.URL(), nil).handshake()
}
