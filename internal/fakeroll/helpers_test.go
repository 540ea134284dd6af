package fakeroll

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// testTimeout bounds every wait in these tests; a healthy run takes
// milliseconds.
const testTimeout = 10 * time.Second

// startServer starts a fake feed on a free port and closes it when the test
// ends.
func startServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.InitTimeout == 0 {
		// A loaded machine can take seconds between dial and connection_init;
		// only the test of the timeout itself wants a short one.
		opts.InitTimeout = testTimeout
	}
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// client is a test's end of a connection.
type client struct {
	tb testing.TB
	ws *websocket.Conn
}

// dialOpts returns options that offer the feed's subprotocol with header, over
// a transport of the test's own (so no idle connection outlives it).
func dialOpts(tb testing.TB, header http.Header) *websocket.DialOptions {
	tr := &http.Transport{}
	tb.Cleanup(tr.CloseIdleConnections)
	return &websocket.DialOptions{
		HTTPClient:   &http.Client{Transport: tr},
		HTTPHeader:   header,
		Subprotocols: []string{gqlws.Subprotocol},
	}
}

// dial connects to url with opts (dialOpts(tb, nil) when nil).
func dial(tb testing.TB, url string, opts *websocket.DialOptions) *client {
	tb.Helper()
	if opts == nil {
		opts = dialOpts(tb, nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		tb.Fatalf("dial %s: %v", url, err)
	}
	ws.SetReadLimit(16 << 20)
	tb.Cleanup(func() { _ = ws.CloseNow() })
	return &client{tb: tb, ws: ws}
}

// send writes text as one message.
func (c *client) send(text string) {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		c.tb.Fatalf("write %s: %v", text, err)
	}
}

// subscribe sends a subscribe for field with id, using the client's payload
// from messages.
func (c *client) subscribe(id string, field gqlws.Subscription) {
	c.tb.Helper()
	data, err := json.Marshal(field.Payload())
	if err != nil {
		c.tb.Fatal(err)
	}
	c.send(`{"id":"` + id + `","type":"subscribe","payload":` + string(data) + `}`)
}

// read returns the next message, failing the test if there is none.
func (c *client) read() []byte {
	c.tb.Helper()
	data, err := c.readErr(testTimeout)
	if err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	return data
}

// readErr returns the next message or the error that ended the wait for it.
// A read that times out closes the connection (library behaviour).
func (c *client) readErr(timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, data, err := c.ws.Read(ctx)
	return data, err
}

// expect reads the next message and fails unless it is text.
func (c *client) expect(text string) {
	c.tb.Helper()
	if got := string(c.read()); got != text {
		c.tb.Fatalf("server sent %s, want %s", got, text)
	}
}

// handshake sends connection_init and expects connection_ack.
func (c *client) handshake() {
	c.tb.Helper()
	c.send(`{"type":"connection_init"}`)
	c.expect(`{"type":"connection_ack"}`)
}

// expectClose reads until the connection ends and fails unless the server
// closed it with code and reason.
func (c *client) expectClose(code int, reason string) {
	c.tb.Helper()
	for {
		data, err := c.readErr(testTimeout)
		if err == nil {
			c.tb.Logf("before the close: %s", data)
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			c.tb.Fatalf("connection ended with %v, want close %d %q", err, code, reason)
		}
		if int(ce.Code) != code || ce.Reason != reason {
			c.tb.Fatalf("closed with %d %q, want %d %q", ce.Code, ce.Reason, code, reason)
		}
		return
	}
}

// waitFor waits until cond holds over s's sessions, failing the test if it
// does not within testTimeout.
func waitFor(tb testing.TB, s *Server, what string, cond func([]Session) bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := s.Wait(ctx, cond); err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// waitClosed waits until session i (from 0) has ended and returns it.
func waitClosed(tb testing.TB, s *Server, i int) Session {
	tb.Helper()
	waitFor(tb, s, "session closed", func(ss []Session) bool { return len(ss) > i && ss[i].Closed })
	return s.Sessions()[i]
}

// subscribed dials s, completes the handshake and subscribes to field with id
// "1", returning once the server has recorded the subscription.
func subscribed(tb testing.TB, s *Server, field gqlws.Subscription) *client {
	tb.Helper()
	before := len(s.Sessions())
	c := dial(tb, s.URL(), nil)
	c.handshake()
	c.subscribe("1", field)
	waitFor(tb, s, "subscribed", func(ss []Session) bool { return len(ss) > before && ss[before].Subscribed })
	return c
}

// nextTrades decodes a next message of the createTrades shape, or of the
// createTrade shape into a one-trade slice.
func nextTrades(tb testing.TB, data []byte) (id string, field gqlws.Subscription, trades []Trade) {
	tb.Helper()
	var msg struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Payload struct {
			Data struct {
				CreateTrades *struct {
					Trades []Trade `json:"trades"`
				} `json:"createTrades"`
				CreateTrade *struct {
					Trade Trade `json:"trade"`
				} `json:"createTrade"`
			} `json:"data"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(data, &msg); err != nil {
		tb.Fatalf("server sent %s: %v", data, err)
	}
	if msg.Type != gqlws.TypeNext {
		tb.Fatalf("server sent %s, want a next", data)
	}
	switch d := msg.Payload.Data; {
	case d.CreateTrades != nil:
		return msg.ID, gqlws.SubCreateTrades, d.CreateTrades.Trades
	case d.CreateTrade != nil:
		return msg.ID, gqlws.SubCreateTrade, []Trade{d.CreateTrade.Trade}
	}
	tb.Fatalf("server sent %s: no listing field", data)
	return "", "", nil
}
