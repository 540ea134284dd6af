package fakeroll

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// Session is what the server saw of one accepted connection.
type Session struct {
	// Header holds the upgrade request's headers (Cookie, User-Agent, Origin,
	// Sec-WebSocket-Protocol, ...).
	Header http.Header
	// Path is the upgrade request's path and query (/ws, /graphql?line=2):
	// which of the feed's routes the client took.
	Path string
	// Subprotocol is the negotiated subprotocol; "" when the client offered
	// none the server speaks (the server then closed with 4406).
	Subprotocol string
	// Received holds every message the client sent, in order. A message that
	// is not JSON is kept with an empty Type and its text, as a JSON string,
	// in Payload.
	Received []gqlws.Envelope
	// Acked is whether the server sent connection_ack.
	Acked bool
	// Subscribed is whether the client has subscribed at some point to a
	// listing field the server knows; a later complete does not clear it.
	Subscribed bool
	// Subscription is the field of the last accepted subscribe.
	Subscription gqlws.Subscription
	// Silenced is whether Silence cut the connection's sending.
	Silenced bool
	// ServerCloseCode is the status of the close frame the server sent, 0 if
	// it sent none (an abrupt drop sends none).
	ServerCloseCode int
	// Closed is whether the connection has ended.
	Closed bool
	// ClientCloseCode is the status of the client's close frame (its echo,
	// when the server closed first); -1 if the connection ended without one
	// from the client; 0 while it is open.
	ClientCloseCode int
}

// String returns a one-line summary of s, for test failures.
func (s Session) String() string {
	types := make([]string, len(s.Received))
	for i, e := range s.Received {
		types[i] = e.Type
		if e.Type == "" {
			types[i] = "?"
		}
	}
	return fmt.Sprintf("subprotocol=%q acked=%t subscribed=%t silenced=%t closed=%t serverClose=%d clientClose=%d received=[%s]",
		s.Subprotocol, s.Acked, s.Subscribed, s.Silenced, s.Closed, s.ServerCloseCode, s.ClientCloseCode, strings.Join(types, " "))
}

// clone returns a deep copy of s.
func (s *Session) clone() Session {
	c := *s
	c.Header = s.Header.Clone()
	c.Received = make([]gqlws.Envelope, len(s.Received))
	for i, e := range s.Received {
		e.Payload = bytes.Clone(e.Payload)
		c.Received[i] = e
	}
	return c
}

// Sessions returns a snapshot of every accepted connection's session, in order
// of connection, deep-copied: the caller may keep and change it.
func (s *Server) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

func (s *Server) snapshotLocked() []Session {
	out := make([]Session, len(s.sessions))
	for i, sess := range s.sessions {
		out[i] = sess.clone()
	}
	return out
}

// Wait blocks until cond holds over a snapshot of the sessions, checking it
// now and again after every change to any session (a message received, a
// subscription, a close). It returns nil once cond holds, or when ctx ends an
// error that describes the sessions then.
func (s *Server) Wait(ctx context.Context, cond func([]Session) bool) error {
	for {
		s.mu.Lock()
		snap := s.snapshotLocked()
		changed := s.changed
		s.mu.Unlock()
		if cond(snap) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("fakeroll: %w waiting on %s", ctx.Err(), describe(snap))
		}
	}
}

// WaitSubscribed blocks until at least n sessions have subscribed (and may since
// have ended), or ctx ends; see Wait.
func (s *Server) WaitSubscribed(ctx context.Context, n int) error {
	return s.Wait(ctx, func(ss []Session) bool {
		got := 0
		for _, sess := range ss {
			if sess.Subscribed {
				got++
			}
		}
		return got >= n
	})
}

// Refused returns how many upgrade requests RefuseNext has refused.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// update applies f to a session under the server's lock and wakes every Wait.
func (s *Server) update(sess *Session, f func(*Session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(sess)
	s.notifyLocked()
}

// notifyLocked wakes every Wait. The caller holds s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func describe(ss []Session) string {
	if len(ss) == 0 {
		return "no sessions"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d sessions:", len(ss))
	for i, sess := range ss {
		fmt.Fprintf(&b, "\n  #%d %s", i+1, sess)
	}
	return b.String()
}
