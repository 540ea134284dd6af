package main

// This file holds sniper's NATS settings and wiring: the -nats publisher,
// the -source consumer and the -nats-embedded server.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/natsrec"
	"github.com/rollsniper/rollsniper/internal/natsserver"
	"github.com/rollsniper/rollsniper/messages"
)

// defaultNATSURL is where -nats-embedded listens, and publishes, unless -nats
// says otherwise.
const defaultNATSURL = "nats://127.0.0.1:4222"

// natsQueue is the NATS publisher's queue capacity: like the whitelist's, a
// burst's worth, since the publisher takes trades at once into its own
// bounded buffer and only falls behind while it encodes a burst.
const natsQueue = 16384

// parseNATSURL returns s if it is one NATS server URL or several,
// comma-separated. s may hold a password: no error quotes it.
func parseNATSURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		u, err := url.Parse(p)
		if err != nil || !hasScheme(u, []string{"nats", "tls", "ws", "wss"}) || strings.ContainsAny(p, " \t") {
			return "", errors.New("not a NATS server URL: write nats://HOST:PORT, such as nats://127.0.0.1:4222 (tls:// for TLS; several separated by commas)")
		}
		if u.Hostname() == "" {
			return "", errors.New("has no host name after nats://: write nats://HOST:PORT")
		}
		if port := u.Port(); port != "" {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return "", errors.New("the port must be a number from 1 to 65535")
			}
		}
		parts[i] = p
	}
	return strings.Join(parts, ","), nil
}

// parseCredsFile returns path if it names a readable NATS credentials file.
// Its content is a secret: no error quotes it.
func parseCredsFile(path string) (string, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", errors.New("no such file: give the path of the .creds file your NATS administrator made (nsc generate creds)")
	case err != nil:
		return "", fmt.Errorf("cannot read it: %w", errors.Unwrap(err))
	case !bytes.Contains(data, []byte("BEGIN NATS USER JWT")) || !bytes.Contains(data, []byte("BEGIN USER NKEY SEED")):
		return "", errors.New("not a NATS credentials file: it holds no user JWT and NKEY seed (nsc generate creds makes one)")
	}
	return path, nil
}

// natsConfig fills in and checks how the NATS settings fit together, and
// returns every problem.
func natsConfig(c *Config) []error {
	var problems []error
	if c.Source != "" {
		for _, other := range []struct {
			set  bool
			name string
		}{
			{c.NATSURL != "", "-nats (ROLL_NATS_URL): a NATS source does not publish the trades again"},
			{c.NATSEmbedded != "", "-nats-embedded (ROLL_NATS_EMBEDDED): the server runs beside the publisher"},
			{c.Demo, "-demo (ROLL_DEMO): the demo is a feed of its own"},
		} {
			if other.set {
				problems = append(problems, fmt.Errorf("-source (ROLL_SOURCE) reads trades from NATS, so leave out %s", other.name))
			}
		}
	} else if c.NATSDurable != "" {
		problems = append(problems, errors.New("-nats-durable (ROLL_NATS_DURABLE) names the consumer of -source (ROLL_SOURCE), which is not set: add -source nats://HOST:PORT, or leave out -nats-durable"))
	}
	if c.NATSEmbedded == "" {
		return problems
	}
	if c.NATSURL == "" {
		c.NATSURL = defaultNATSURL
	}
	if _, _, _, err := embeddedAddr(c.NATSURL); err != nil {
		problems = append(problems, fmt.Errorf("-nats-embedded (ROLL_NATS_EMBEDDED) listens where -nats (ROLL_NATS_URL) points: %w", err))
	}
	if c.NATSCreds != "" {
		problems = append(problems, errors.New("-nats-creds (ROLL_NATS_CREDS) cannot be used with -nats-embedded: the embedded server takes a user and password in -nats (nats://user:password@127.0.0.1:4222), or none"))
	}
	return problems
}

// embeddedAddr returns the host, port and login of the one loopback URL the
// embedded server listens on.
func embeddedAddr(natsURL string) (host string, port int, login *url.Userinfo, err error) {
	if strings.Contains(natsURL, ",") {
		return "", 0, nil, errors.New("name one server, on this machine, such as nats://127.0.0.1:4222")
	}
	u, err := url.Parse(natsURL)
	if err != nil || !strings.EqualFold(u.Scheme, "nats") {
		return "", 0, nil, errors.New("the embedded server has no TLS or WebSocket: use nats://127.0.0.1:PORT")
	}
	if !natsserver.IsLoopback(u.Hostname()) {
		return "", 0, nil, errors.New("the embedded server listens on loopback only, such as nats://127.0.0.1:4222: to serve other machines, run nats-server (see the README)")
	}
	port = 4222
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	return u.Hostname(), port, u.User, nil
}

// startEmbedded starts the -nats-embedded server. A port in use or a store
// it cannot use is a *ConfigError.
func startEmbedded(cfg Config, log *slog.Logger) (*natsserver.Server, error) {
	host, port, login, err := embeddedAddr(cfg.NATSURL)
	if err != nil {
		return nil, &ConfigError{Problems: []error{err}}
	}
	var user, password string
	if login != nil {
		user = login.Username()
		password, _ = login.Password()
	}
	srv, err := natsserver.Start(natsserver.Config{StoreDir: cfg.NATSEmbedded, Host: host, Port: port, User: user, Password: password, Log: log})
	if err != nil {
		return nil, &ConfigError{Problems: []error{fmt.Errorf("-nats-embedded (ROLL_NATS_EMBEDDED) %q with -nats (ROLL_NATS_URL): %w", cfg.NATSEmbedded, err)}}
	}
	log.Info("embedded NATS server listening", slog.String("server", srv.URL()), slog.String("store", cfg.NATSEmbedded))
	return srv, nil
}

// addNATSPublisher adds the NATS publisher as a sink, with the whitelist's
// matches when there is a whitelist.
func (p *pipeline) addNATSPublisher(cfg Config, logs *slog.Logger) {
	var matches <-chan messages.Match
	if p.whitelist != nil {
		matches = p.whitelist.AlertQueue(p.natsAlerts)
	}
	p.natsPub = actors.NewNATSPublisher(actors.NATSPublisherConfig{
		Conn:     actors.NATSConnConfig{URL: cfg.NATSURL, Creds: cfg.NATSCreds},
		Subjects: cfg.NATSSubjects,
		Matches:  matches,
	}, logs.With("actor", "nats"))
	p.sinks = append(p.sinks, namedSink{"nats", p.natsPub, natsQueue})
	logs.Info("publishing to NATS", slog.String("server", natsrec.Redact(cfg.NATSURL)),
		slog.String("trades", cfg.NATSSubjects.Trades), slog.String("matches", cfg.NATSSubjects.Matches),
		slog.String("stream", cfg.NATSSubjects.Stream))
}

// newNATSSource is the source that stands for the connection and the parser
// under -source; its trades go to hub.
func newNATSSource(cfg Config, logs *slog.Logger, busy func() bool) *actors.NATSSource {
	return actors.NewNATSSource(actors.NATSSourceConfig{
		Conn:     actors.NATSConnConfig{URL: cfg.Source, Creds: cfg.NATSCreds},
		Subjects: cfg.NATSSubjects,
		Durable:  cfg.NATSDurable,
		Busy:     busy,
	}, logs.With("actor", "source"))
}

// hubBusy reports whether any sink's queue is more than half full: a NATS
// source catching up on a backlog then waits for them.
func hubBusy(hub *actors.Hub) bool {
	for _, s := range hub.Stats() {
		if s.Queued > s.Capacity/2 {
			return true
		}
	}
	return false
}

// tradesIn is how many trades reached the hub: from the parser, or from the
// NATS source.
func (p *pipeline) tradesIn() uint64 {
	if p.natsSource != nil {
		return p.natsSource.Stats().Trades
	}
	return p.parser.Stats().Trades
}

// sourceNotReady is notReady under -source: ready once the consumer is
// being read.
func (p *pipeline) sourceNotReady() string {
	switch s := p.natsSource.Stats(); {
	case s.State != actors.NATSConnected:
		return "the NATS connection is " + s.State.String()
	case !s.Consuming:
		return "connected to NATS, but not reading the stream yet (see the log)"
	}
	return ""
}

// collectNATS reports the NATS publisher and source, when they run.
func (c *pipelineCollector) collectNATS(ch chan<- prometheus.Metric) {
	natsState := func(role string, state actors.NATSState) {
		for _, s := range actors.NATSStates {
			ch <- gauge(descNATSState, boolFloat(state == s), role, s.String())
		}
	}
	if pub := c.p.natsPub; pub != nil {
		s := pub.Stats()
		natsState("publisher", s.State)
		ch <- gauge(descNATSStreamReady, boolFloat(s.StreamReady))
		ch <- counter(descNATSPublished, float64(s.Published), "first")
		ch <- counter(descNATSPublished, float64(s.Retried), "retry")
		ch <- counter(descNATSAcked, float64(s.Acked))
		ch <- counter(descNATSDuplicates, float64(s.Duplicates))
		ch <- counter(descNATSDropped, float64(s.Dropped), "buffer_full")
		ch <- counter(descNATSDropped, float64(s.Abandoned), "shutdown")
		ch <- gauge(descNATSPending, float64(s.Pending))
	}
	if src := c.p.natsSource; src != nil {
		s := src.Stats()
		natsState("source", s.State)
		ch <- counter(descSourceMessages, float64(s.Trades), "trade")
		ch <- counter(descSourceMessages, float64(s.Redelivered), "redelivered")
		ch <- counter(descSourceMessages, float64(s.Malformed), "malformed")
		ch <- gauge(descSourceBehind, float64(s.Behind))
		ch <- counter(descTrades, float64(s.Trades))
		last := s.LastTrade
		if last.IsZero() {
			last = c.p.started
		}
		ch <- gauge(descLastTrade, time.Since(last).Seconds())
	}
}
