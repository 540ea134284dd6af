package natsserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Config is what an embedded server needs. Zero values mean the defaults.
type Config struct {
	// StoreDir is the directory JetStream stores its streams in. Required.
	StoreDir string
	// Host is the address to listen on; it must be a loopback address
	// (127.0.0.1 if empty): the embedded server has no TLS and at most one
	// user, so it serves this machine only.
	Host string
	// Port is the port to listen on; -1 picks a free one.
	Port int
	// User and Password, when User is set, are the one account's login: a
	// client must send them. Password is a secret: it is never logged.
	User, Password string
	// Log receives the server's notices and warnings (its debug and trace
	// output is off); nil discards them.
	Log *slog.Logger
	// ReadyTimeout bounds how long Start waits for the server to take
	// connections (10 s).
	ReadyTimeout time.Duration
}

// Server is a running embedded server.
type Server struct {
	srv *server.Server
	url string
}

// Start starts a server for cfg and returns once it takes connections, or an
// error that says what to change: a directory that cannot be used, a port in
// use, an address that is not loopback.
func Start(cfg Config) (*Server, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("natsserver: no store directory")
	}
	host := cfg.Host
	if host == "" {
		host = "127.0.0.1"
	}
	if !IsLoopback(host) {
		return nil, fmt.Errorf("%s is not a loopback address: the embedded server serves this machine only (run nats-server to serve others)", host)
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 10 * time.Second
	}
	opts := &server.Options{
		ServerName: "rollsniper",
		Host:       host,
		Port:       cfg.Port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		NoSigs:     true, // signals are the program's
		// No HTTP monitoring, cluster, gateway or leaf node ports: a
		// client port on loopback, nothing else.
		Username: cfg.User,
		Password: cfg.Password,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	log := &logger{log: cfg.Log}
	if log.log == nil {
		log.log = slog.New(slog.DiscardHandler)
	}
	srv.SetLoggerV2(log, false, false, false)
	srv.Start()
	if !ready(srv, log, cfg.ReadyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		if why := log.fatal(); why != "" {
			return nil, fmt.Errorf("embedded NATS server on %s: %s", net.JoinHostPort(host, portText(cfg.Port)), why)
		}
		return nil, fmt.Errorf("embedded NATS server on %s: not ready after %v", net.JoinHostPort(host, portText(cfg.Port)), cfg.ReadyTimeout)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		why := log.fatal()
		if why == "" {
			why = "JetStream did not start"
		}
		return nil, fmt.Errorf("embedded NATS server storing in %s: %s", cfg.StoreDir, why)
	}
	return &Server{srv: srv, url: "nats://" + srv.Addr().String()}, nil
}

// ready waits until srv takes connections, a fatal error stops it (a port in
// use, a store it cannot open), or timeout passes, and reports whether it is
// ready.
func ready(srv *server.Server, log *logger, timeout time.Duration) bool {
	const step = 20 * time.Millisecond
	for waited := time.Duration(0); waited < timeout; waited += step {
		if srv.ReadyForConnections(step) {
			return true
		}
		if log.fatal() != "" {
			return false
		}
	}
	return false
}

func portText(port int) string {
	if port < 0 {
		return "a free port"
	}
	return strconv.Itoa(port)
}

// URL is the address clients connect to, nats://127.0.0.1:PORT, without the
// login.
func (s *Server) URL() string { return s.url }

// Port is the port the server listens on.
func (s *Server) Port() int { return s.srv.Addr().(*net.TCPAddr).Port }

// Shutdown stops the server, closing every client's connection, and returns
// once every goroutine it started has ended. What JetStream acknowledged is
// on disk. Calling it again does nothing.
func (s *Server) Shutdown() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
}

// IsLoopback reports whether host names this machine: localhost or a
// loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logger passes the server's notices and warnings to a slog.Logger and keeps
// the last fatal message, which Start reports. The server's debug and trace
// output is off.
type logger struct {
	log *slog.Logger
	mu  sync.Mutex
	why string
}

func (l *logger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *logger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *logger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *logger) Debugf(string, ...any)           {}
func (l *logger) Tracef(string, ...any)           {}

// Fatalf keeps the message: the server stops itself after one, and Start
// returns it as its error. It does not exit the process, as the server's own
// logger would.
func (l *logger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	l.mu.Lock()
	l.why = msg
	l.mu.Unlock()
}

func (l *logger) fatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.why
}
