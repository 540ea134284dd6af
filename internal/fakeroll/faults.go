package fakeroll

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// refusal is what RefuseNext asked for.
type refusal struct {
	n      int
	status int
	header http.Header
}

// RefuseNext makes the next n upgrade requests get an HTTP answer with status
// and header (for example Retry-After) instead of an upgrade, like Cloudflare
// in front of the real feed. It replaces any refusal still pending; n <= 0
// cancels it. Refused counts the refusals.
func (s *Server) RefuseNext(n int, status int, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusal = refusal{n: n, status: status, header: header.Clone()}
}

// takeRefusal uses up one pending refusal, if any.
func (s *Server) takeRefusal() (refusal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refusal.n <= 0 {
		return refusal{}, false
	}
	s.refusal.n--
	s.refused++
	return s.refusal, true
}

// DropAll closes every open connection's TCP connection abruptly, without a
// close frame, and returns once each is recorded closed.
func (s *Server) DropAll() {
	s.DropWhere(func(Session) bool { return true })
}

// DropWhere is DropAll for the open connections whose session match
// reports true (one of the feed's routes, say: by Session.Path), and returns
// how many it dropped. match sees a snapshot of each session.
func (s *Server) DropWhere(match func(Session) bool) int {
	var conns []*conn
	for _, c := range s.openConns() {
		s.mu.Lock()
		sess := c.sess.clone()
		s.mu.Unlock()
		if match(sess) {
			conns = append(conns, c)
		}
	}
	for _, c := range conns {
		_ = c.ws.CloseNow()
	}
	for _, c := range conns {
		<-c.done
	}
	return len(conns)
}

// CloseAll sends every open connection a close frame with code and reason and
// returns once each is recorded closed: at once for a client that answers the
// close frame, after the library's handshake timeout (about 5 s) for one that
// does not (or a silenced connection, whose close frame never leaves).
func (s *Server) CloseAll(code int, reason string) {
	conns := s.openConns()
	for _, c := range conns {
		select {
		case c.closeReq <- closeRequest{code: code, reason: reason}:
		case <-c.done:
		}
	}
	for _, c := range conns {
		<-c.done
	}
}

// Silence makes every open connection half-open: from now on the server sends
// nothing on it (no acks, no pongs, no trades, not even WebSocket control
// frames) while it goes on reading and recording, until the client or Close
// ends it. Connections opened later behave normally.
func (s *Server) Silence() {
	conns := s.openConns()
	for _, c := range conns {
		c.net.silent.Store(true)
		s.update(c.sess, func(sess *Session) { sess.Silenced = true })
	}
	s.log.Info("silenced", "connections", len(conns))
}

// WithholdAck makes connections that send connection_init from now on get no
// connection_ack (on), or get it again (off).
func (s *Server) WithholdAck(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.withhold = on
}

// IgnoreCloseAfterUnsubscribe makes connections that unsubscribe from now on
// answer the next ping (a client's barrier after its unsubscribe), then fall
// silent as Silence does and read nothing more, the connection held open: the
// client's close frame is never read nor answered, so its close handshake
// waits for an echo that never comes.
func (s *Server) IgnoreCloseAfterUnsubscribe() { s.deafToClose.Store(true) }

func (s *Server) withholdingAck() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.withhold
}

// hijackGate is the http.ResponseWriter the server hands to websocket.Accept:
// its Hijack puts a gate between the library and the TCP connection.
type hijackGate struct {
	http.ResponseWriter
	conn *gatedConn // set by Hijack
}

// Hijack hijacks the underlying connection and returns it gated. The buffered
// writer, empty once net/http has flushed the 101 answer, is pointed at the
// gate.
func (h *hijackGate) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &gatedConn{Conn: nc, closed: make(chan struct{})}
	brw.Writer.Reset(h.conn)
	return h.conn, brw, nil
}

// gatedConn is a connection whose writes can be cut: once silent, every write
// is swallowed and reported done, so nothing reaches the client while reads go
// on, as on a half-open connection.
type gatedConn struct {
	net.Conn
	silent atomic.Bool
	// deaf: the connection's reader reads no more (IgnoreCloseAfterUnsubscribe).
	deaf      atomic.Bool
	closed    chan struct{} // closed by Close
	closeOnce sync.Once
}

func (g *gatedConn) Close() error {
	g.closeOnce.Do(func() { close(g.closed) })
	return g.Conn.Close()
}

func (g *gatedConn) Write(p []byte) (int, error) {
	if g.silent.Load() {
		return len(p), nil
	}
	return g.Conn.Write(p)
}
