// Package natstest starts an embedded NATS server with JetStream for tests of
// other packages, on a free loopback port with a store in the test's
// temporary directory, shuts it down when the test ends, and reads back what
// a stream holds. It starts no goroutine of its own.
package natstest

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rollsniper/rollsniper/internal/natsrec"
	"github.com/rollsniper/rollsniper/internal/natsserver"
)

// Server is a test's embedded NATS server. Stop and Restart let a test take
// it away and bring it back on the same port with the same store.
type Server struct {
	*natsserver.Server
	cfg natsserver.Config
}

// Start starts a server on a free port for the test and shuts it down when
// the test is done.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartWith(tb, natsserver.Config{Port: -1})
}

// StartAt is Start on the given port.
func StartAt(tb testing.TB, port int) *Server {
	tb.Helper()
	return StartWith(tb, natsserver.Config{Port: port})
}

// StartWith is Start with cfg: a login, a log. Its store is always the
// test's; a zero port is a free one.
func StartWith(tb testing.TB, cfg natsserver.Config) *Server {
	tb.Helper()
	cfg.StoreDir = tb.TempDir()
	if cfg.Port == 0 {
		cfg.Port = -1
	}
	s := &Server{cfg: cfg}
	s.start(tb)
	tb.Cleanup(s.Stop)
	return s
}

func (s *Server) start(tb testing.TB) {
	tb.Helper()
	srv, err := natsserver.Start(s.cfg)
	if err != nil {
		tb.Fatalf("start NATS server: %v", err)
	}
	s.Server, s.cfg.Port = srv, srv.Port()
}

// Stop shuts the server down; its port and store stay for Restart. Stopping
// a stopped server does nothing.
func (s *Server) Stop() {
	if s.Server != nil {
		s.Server.Shutdown()
		s.Server = nil
	}
}

// Restart starts the server again on the same port with the same store.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Stop()
	s.start(tb)
}

// Message is a message a stream holds.
type Message struct {
	Subject string
	MsgID   string // its Nats-Msg-Id header
	Record  natsrec.Record
}

// Messages returns every message the stream holds, in order, each decoded
// as a natsrec record (the test fails on one that is not).
func (s *Server) Messages(ctx context.Context, tb testing.TB, stream string) []Message {
	tb.Helper()
	st, closeConn, err := s.stream(ctx, tb, stream)
	if err != nil {
		tb.Fatalf("stream %s: %v", stream, err)
	}
	defer closeConn()
	info, err := st.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var out []Message
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			tb.Fatalf("message %d: %v", seq, err)
		}
		r, err := natsrec.Decode(m.Data)
		if err != nil {
			tb.Fatalf("message %d is no record: %v: %s", seq, err, m.Data)
		}
		out = append(out, Message{Subject: m.Subject, MsgID: m.Header.Get(jetstream.MsgIDHeader), Record: r})
	}
	return out
}

// StreamLen returns how many messages the stream holds, 0 when it does not
// exist (yet).
func (s *Server) StreamLen(ctx context.Context, tb testing.TB, stream string) uint64 {
	tb.Helper()
	st, closeConn, err := s.stream(ctx, tb, stream)
	if err != nil {
		return 0
	}
	defer closeConn()
	info, err := st.Info(ctx)
	if err != nil {
		return 0
	}
	return info.State.Msgs
}

// connect connects to the server, with its login if it has one.
func (s *Server) connect() (*nats.Conn, error) {
	var opts []nats.Option
	if s.cfg.User != "" {
		opts = append(opts, nats.UserInfo(s.cfg.User, s.cfg.Password))
	}
	return nats.Connect(s.URL(), opts...)
}

// stream connects to the server and looks up the stream named name; the
// caller closes the connection with closeConn once done with st.
func (s *Server) stream(ctx context.Context, tb testing.TB, name string) (st jetstream.Stream, closeConn func(), err error) {
	tb.Helper()
	nc, err := s.connect()
	if err != nil {
		tb.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		tb.Fatal(err)
	}
	if st, err = js.Stream(ctx, name); err != nil {
		nc.Close()
		return nil, nil, err
	}
	return st, nc.Close, nil
}
