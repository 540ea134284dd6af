package actors

// This file holds what the two NATS actors (natspub.go, natssource.go) share:
// how they connect, and the connection's state as their stats show it.

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lmittmann/tint"
	"github.com/nats-io/nats.go"

	"github.com/rollsniper/rollsniper/internal/natsrec"
)

// NATSConnConfig is how a NATS actor reaches the server.
type NATSConnConfig struct {
	// URL is one server, or several comma-separated, nats://HOST:PORT. It may
	// hold a login (nats://user:password@host:4222): a secret, never logged.
	URL string
	// Creds is a NATS credentials file (.creds); "" for none. Its content is
	// a secret, never logged.
	Creds string
	// Name is the connection's name, as the server's monitoring shows it.
	Name string
	// ReconnectWait is the pause between two attempts to reach the servers
	// (1 s); nats.go adds up to a second of jitter.
	ReconnectWait time.Duration
	// Options are more nats.go options, applied last: an in-process
	// connection to the embedded server, say.
	Options []nats.Option
}

// NATSState is a NATS connection's state.
type NATSState int32

// The states a NATS connection is in.
const (
	// NATSConnecting: not connected yet, or reconnecting after a loss.
	NATSConnecting NATSState = iota
	// NATSConnected: connected to a server.
	NATSConnected
	// NATSClosed: closed for good, as Run returns.
	NATSClosed
)

// NATSStates are the states, in order.
var NATSStates = [...]NATSState{NATSConnecting, NATSConnected, NATSClosed}

func (s NATSState) String() string {
	switch s {
	case NATSConnecting:
		return "connecting"
	case NATSConnected:
		return "connected"
	case NATSClosed:
		return "closed"
	}
	return "unknown"
}

// natsReconnectWait is NATSConnConfig.ReconnectWait's default.
const natsReconnectWait = time.Second

// connectNATS opens a connection for cfg that keeps trying to reach the
// servers, from the start and after every loss, until it is closed: an
// unreachable server is waited for, not an error. It logs each loss, each
// recovery and the first failure of each run of failed attempts on log, with
// the server's URL redacted, and keeps state up to date. It fails only when
// an option is unusable.
func connectNATS(cfg NATSConnConfig, log *slog.Logger, state *atomic.Int32) (*nats.Conn, error) {
	wait := cfg.ReconnectWait
	if wait <= 0 {
		wait = natsReconnectWait
	}
	where := slog.String("server", natsrec.Redact(cfg.URL))
	// failing is true from a failed attempt to the next connection: only
	// the first failure of a run is logged as a warning. The handlers run on
	// nats.go's one callback goroutine.
	failing := false
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(wait),
		nats.ReconnectJitter(wait, wait),
		nats.PingInterval(10 * time.Second),
		nats.MaxPingsOutstanding(3),
		nats.ConnectHandler(func(nc *nats.Conn) {
			failing = false
			state.Store(int32(NATSConnected))
			log.Info("NATS connected", slog.String("server", nc.ConnectedUrlRedacted()))
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			failing = false
			state.Store(int32(NATSConnected))
			log.Info("NATS reconnected", slog.String("server", nc.ConnectedUrlRedacted()))
		}),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if nc.IsClosed() {
				return
			}
			state.Store(int32(NATSConnecting))
			log.Warn("NATS connection lost; reconnecting", where, tint.Err(err))
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			if failing {
				log.Debug("cannot reach NATS; retrying", where, tint.Err(err))
				return
			}
			failing = true
			log.Warn("cannot reach NATS; retrying", where, slog.Duration("every", wait), tint.Err(err))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Warn("NATS error", where, tint.Err(err))
		}),
		nats.ClosedHandler(func(*nats.Conn) { state.Store(int32(NATSClosed)) }),
	}
	if cfg.Creds != "" {
		opts = append(opts, nats.UserCredentials(cfg.Creds))
	}
	opts = append(opts, cfg.Options...)
	state.Store(int32(NATSConnecting))
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		state.Store(int32(NATSClosed))
		return nil, err
	}
	if nc.IsConnected() {
		state.Store(int32(NATSConnected))
	}
	return nc, nil
}
