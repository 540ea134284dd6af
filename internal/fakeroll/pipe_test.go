package fakeroll

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// Over StartPipe's connections, inside a bubble, each direction takes exactly
// the latency, and a message waits in the buffer for a reader that is not
// reading yet rather than holding up the writer.
func TestStartPipeRunsOnTheBubblesClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const latency = 40 * time.Millisecond
		s, hc := StartPipe(Options{}, latency)
		defer s.Close()
		ctx := context.Background()
		ws, _, err := websocket.Dial(ctx, PipeURL, &websocket.DialOptions{HTTPClient: hc, Subprotocols: []string{gqlws.Subprotocol}})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		c := &client{tb: t, ws: ws}
		c.handshake()
		c.subscribe("1", gqlws.SubCreateTrades)
		if err := s.WaitSubscribed(ctx, 1); err != nil {
			t.Fatal(err)
		}

		start := time.Now()
		c.send(`{"type":"ping","payload":{"n":"1"}}`)
		c.expect(`{"type":"pong","payload":{"n":"1"}}`)
		if rtt := time.Since(start); rtt != 2*latency {
			t.Errorf("a ping's round trip took %v, want twice the latency, %v", rtt, 2*latency)
		}

		// Nobody reads while the server publishes: the writes are buffered.
		start = time.Now()
		for range 100 {
			if s.Publish(s.NewTrade()) != 1 {
				t.Fatal("Publish reached no client")
			}
		}
		if took := time.Since(start); took != 0 {
			t.Errorf("100 publishes to a client that reads nothing took %v, want no wait", took)
		}
		for range 100 {
			nextTrades(t, c.read())
		}
		if err := ws.Close(websocket.StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		if got := waitClosed(t, s, 0); got.ClientCloseCode != 1000 {
			t.Errorf("closed with %d, want 1000", got.ClientCloseCode)
		}
	})
}
