// Package natstest starts an embedded NATS server with JetStream for tests of
// other packages, on a free loopback port with a store in the test's
// temporary directory, and shuts it down when the test ends. It starts no
// goroutine of its own.
package natstest

import (
	"testing"

	"github.com/rollsniper/rollsniper/internal/natsserver"
)

// Server is a test's embedded NATS server. Stop and Restart let a test take
// it away and bring it back on the same port with the same store.
type Server struct {
	*natsserver.Server
	dir  string
	port int
}

// Start starts a server for the test and shuts it down when the test is done.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{dir: tb.TempDir(), port: -1}
	s.start(tb)
	tb.Cleanup(s.Stop)
	return s
}

func (s *Server) start(tb testing.TB) {
	tb.Helper()
	srv, err := natsserver.Start(natsserver.Config{StoreDir: s.dir, Port: s.port})
	if err != nil {
		tb.Fatalf("start NATS server: %v", err)
	}
	s.Server, s.port = srv, srv.Port()
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
