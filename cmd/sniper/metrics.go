package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/latency"
)

// metricsServer serves /metrics (Prometheus), /healthz (the process is alive)
// and /readyz (subscribed, and a frame seen within the ping window) for the
// pipeline it watches.
type metricsServer struct {
	ln  net.Listener
	srv *http.Server
	log *slog.Logger
}

// listenMetrics opens addr and builds the server for p. It listens before the
// pipeline starts, so a port already in use is reported at once as a setting
// to change, not after the feed is up.
func listenMetrics(addr string, p *pipeline, log *slog.Logger) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &ConfigError{Problems: []error{fmt.Errorf("-metrics-addr (ROLL_METRICS_ADDR) %q: %w: choose another port, or leave it empty to serve no metrics", addr, err)}}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&pipelineCollector{p: p},
		buildInfoMetric(currentVersion()),
	)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if why := p.notReady(time.Now()); why != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", why)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return &metricsServer{
		ln:  ln,
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		log: log,
	}, nil
}

// Addr is the address the server listens on.
func (m *metricsServer) Addr() net.Addr { return m.ln.Addr() }

// Run serves until ctx ends, then shuts the server down (waiting at most a
// second for scrapes in progress) and returns nil.
func (m *metricsServer) Run(ctx context.Context) error {
	m.log.InfoContext(ctx, "serving metrics", slog.String("metrics", "http://"+m.ln.Addr().String()+"/metrics"))
	served := make(chan error, 1)
	go func() { served <- m.srv.Serve(m.ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := m.srv.Shutdown(sctx); err != nil {
		m.srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics server: %w", err)
	}
	return nil
}

// notReady says why the pipeline is not ready to report trades, or "" when it
// is: a connection subscribed, with a frame of any kind within the ping
// window. With several connections one ready one is enough, and otherwise
// it says why for each.
func (p *pipeline) notReady(now time.Time) string {
	if p.natsSource != nil {
		return p.sourceNotReady()
	}
	conns := p.lines.Conns()
	if len(conns) == 1 {
		return connNotReady(conns[0].Stats(), now, "the connection", "")
	}
	whys := make([]string, len(conns))
	for i, c := range conns {
		name := fmt.Sprintf("connection %d", c.Number())
		whys[i] = connNotReady(c.Stats(), now, name, name+": ")
		if whys[i] == "" {
			return ""
		}
	}
	return strings.Join(whys, "; ")
}

// connNotReady says why the connection s is not ready, or "" when it is:
// the state as "name is waiting", the rest after prefix.
func connNotReady(s actors.ConnStats, now time.Time, name, prefix string) string {
	switch {
	case s.State != actors.StateSubscribed:
		why := name + " is " + s.State.String()
		if s.State == actors.StateWaiting && s.Backoff > 0 {
			why += fmt.Sprintf(" %v to reconnect after %d failure(s)", s.Backoff, s.ConsecutiveFailures)
		}
		return why
	case s.LastFrame.IsZero():
		return prefix + "subscribed, but no frame has arrived yet"
	case now.Sub(s.LastFrame) > s.Window:
		return prefix + fmt.Sprintf("no frame for %v (the ping window is %v)", now.Sub(s.LastFrame).Round(time.Second), s.Window)
	}
	return ""
}

// The pipeline's metrics. Every name starts with rollsniper_.
var (
	descState = prometheus.NewDesc("rollsniper_connection_state",
		"1 for each connection's current state (waiting, connecting, subscribed, stopped), 0 for the others; conn numbers the connections from 1.", []string{"conn", "state"}, nil)
	descFeedUp = prometheus.NewDesc("rollsniper_feed_up",
		"1 while at least one connection is subscribed: the feed is being received whole.", nil, nil)
	descSessions = prometheus.NewDesc("rollsniper_sessions_total",
		"Sessions each connection has started, dial attempts included.", []string{"conn"}, nil)
	descReconnects = prometheus.NewDesc("rollsniper_reconnects_total",
		"Sessions that ended and were retried, by connection and reason.", []string{"conn", "reason"}, nil)
	descBackoff = prometheus.NewDesc("rollsniper_backoff_seconds",
		"Each connection's reconnect delay being waited now, or the last one waited.", []string{"conn"}, nil)
	descFailures = prometheus.NewDesc("rollsniper_consecutive_failures",
		"Sessions of each connection that ended since the last one that received a trade.", []string{"conn"}, nil)
	descFrames = prometheus.NewDesc("rollsniper_frames_received_total",
		"Frames each connection read off its socket, of every kind.", []string{"conn"}, nil)
	descFirst = prometheus.NewDesc("rollsniper_trades_first_total",
		"Trades each connection delivered first: the ones handed on from it (with one connection, every trade).", []string{"conn"}, nil)
	descDuplicates = prometheus.NewDesc("rollsniper_duplicates_dropped_total",
		"Copies each connection delivered of trades a connection had delivered before, dropped.", []string{"conn"}, nil)
	descLead = prometheus.NewDesc("rollsniper_connection_lead_seconds",
		"How much earlier a connection's copy of a trade arrived than another connection's copy of it, once for each such copy: which route is faster.", []string{"conn"}, nil)
	descTrades = prometheus.NewDesc("rollsniper_trades_received_total",
		"Trades the parser decoded and handed on.", nil, nil)
	descParseErrors = prometheus.NewDesc("rollsniper_parse_errors_total",
		"Frames or trades the parser skipped, by kind.", []string{"kind"}, nil)
	descLastTrade = prometheus.NewDesc("rollsniper_last_trade_age_seconds",
		"Time since the last trade arrived (since the start, before the first one).", nil, nil)
	descQueueDepth = prometheus.NewDesc("rollsniper_sink_queue_depth",
		"Trades waiting in a sink's queue (matches, in the whitelist's).", []string{"sink"}, nil)
	descQueueCap = prometheus.NewDesc("rollsniper_sink_queue_capacity",
		"The capacity of a sink's queue.", []string{"sink"}, nil)
	descDelivered = prometheus.NewDesc("rollsniper_sink_delivered_total",
		"Trades put in a sink's queue (matches, in the whitelist's: it decides at the fan-out).", []string{"sink"}, nil)
	descDropped = prometheus.NewDesc("rollsniper_sink_dropped_total",
		"Trades (matches, for the whitelist) a sink lost because its queue was full.", []string{"sink"}, nil)
	descMatches = prometheus.NewDesc("rollsniper_whitelist_matches_total",
		"Trades that matched a whitelist entry.", nil, nil)
	descRejected = prometheus.NewDesc("rollsniper_whitelist_rejected_total",
		"Trades the whitelist turned down, by reason.", []string{"reason"}, nil)
	descEntries = prometheus.NewDesc("rollsniper_whitelist_entries",
		"Entries in the whitelist in use.", nil, nil)
	descAlertsDropped = prometheus.NewDesc("rollsniper_alerts_dropped_total",
		"Matches not alerted because an alert queue was full, by where they were dropped.", []string{"queue"}, nil)
	descAlerts = prometheus.NewDesc("rollsniper_discord_alerts_total",
		"Discord alerts by outcome: sent, failed (given up), abandoned (unsent at shutdown).", []string{"outcome"}, nil)
	descAlertRetries = prometheus.NewDesc("rollsniper_discord_retries_total",
		"Discord posts repeated after a 5xx answer or a network error.", nil, nil)
	descRateLimited = prometheus.NewDesc("rollsniper_discord_rate_limited_total",
		"Discord 429 answers, each waited out.", nil, nil)
	descUnconfirmed = prometheus.NewDesc("rollsniper_unconfirmed_stops_total",
		"Stops in which the feed did not answer a connection's unsubscribe barrier in time: trades it sent just before may be lost.", []string{"conn"}, nil)
	descAbandoned = prometheus.NewDesc("rollsniper_frames_abandoned_total",
		"Frames a connection read but never handed to the parser, because a stop's budget ran out while they waited for room.", []string{"conn"}, nil)
	descPrinted = prometheus.NewDesc("rollsniper_printed_total",
		"Trades the printer wrote into stdout's buffer.", nil, nil)
	descOutputDropped = prometheus.NewDesc("rollsniper_output_dropped_total",
		"Records dropped because their file (stdout for trade and match, stderr for log) did not keep up, by stream.", []string{"stream"}, nil)
	descOutputBuffered = prometheus.NewDesc("rollsniper_output_buffered_bytes",
		"Bytes waiting to be written to stdout or stderr.", []string{"file"}, nil)
	descLatency = prometheus.NewDesc("rollsniper_frame_to_sink_seconds",
		"Time from a frame being read off the socket to its trades being handed to the sinks' queues.", nil, nil)
	descDecision = prometheus.NewDesc("rollsniper_frame_to_decision_seconds",
		"Time from a frame being read off the socket to the whitelist's decision on each of its trades (none without a whitelist).", nil, nil)

	descNATSState = prometheus.NewDesc("rollsniper_nats_connection_state",
		"1 for a NATS connection's current state (connecting, connected, closed), 0 for the others, by role: publisher (-nats) or source (-source).", []string{"role", "state"}, nil)
	descNATSStreamReady = prometheus.NewDesc("rollsniper_nats_stream_ready",
		"1 once the publisher has created, updated or found its stream.", nil, nil)
	descNATSPublished = prometheus.NewDesc("rollsniper_nats_published_total",
		"Messages (trades and matches) the publisher handed to the NATS server, by attempt: first, or retry after an error or a timeout.", []string{"attempt"}, nil)
	descNATSAcked = prometheus.NewDesc("rollsniper_nats_acknowledged_total",
		"Messages the stream acknowledged, duplicates included.", nil, nil)
	descNATSDuplicates = prometheus.NewDesc("rollsniper_nats_duplicates_total",
		"Messages the stream acknowledged as duplicates of one it had (another publisher's copy, or a retry's).", nil, nil)
	descNATSDropped = prometheus.NewDesc("rollsniper_nats_dropped_total",
		"Messages the publisher gave up: buffer_full (the oldest, while the server was unreachable or slow) or shutdown (unacknowledged when it stopped).", []string{"reason"}, nil)
	descNATSPending = prometheus.NewDesc("rollsniper_nats_pending",
		"Messages the publisher holds: buffered, or published and not yet acknowledged.", nil, nil)
	descSourceMessages = prometheus.NewDesc("rollsniper_nats_source_messages_total",
		"Messages the NATS source received, by outcome: trade (handed on), redelivered (handed on before, skipped), malformed (refused).", []string{"outcome"}, nil)
	descSourceBehind = prometheus.NewDesc("rollsniper_nats_source_behind",
		"Trades in the stream the source's consumer has not been delivered yet, as of the last one.", nil, nil)

	descRecorded = prometheus.NewDesc("rollsniper_record_frames_total",
		"Frames written to the journal (-record).", nil, nil)
	descRecordDropped = prometheus.NewDesc("rollsniper_record_dropped_total",
		"Frames not recorded because the recorder's queue was full; the journal notes where.", nil, nil)
	descRecordFailed = prometheus.NewDesc("rollsniper_record_errors_total",
		"Records lost because the journal could not be written (a full disk, say).", nil, nil)
	descRecordQueue = prometheus.NewDesc("rollsniper_record_queue_depth",
		"Frames waiting to be written to the journal.", nil, nil)
	descJournalBytes = prometheus.NewDesc("rollsniper_record_journal_bytes",
		"The journal's size on disk, every segment included (-record-max bounds it).", nil, nil)
	descJournalSegments = prometheus.NewDesc("rollsniper_record_journal_segments",
		"Segment files in the journal.", nil, nil)
	descCompacted = prometheus.NewDesc("rollsniper_record_compacted_total",
		"Journal segments compressed once closed.", nil, nil)
)

// connStates are the states rollsniper_connection_state shows.
var connStates = []actors.ConnState{actors.StateWaiting, actors.StateConnecting, actors.StateSubscribed, actors.StateStopped}

// pipelineCollector reads the actors' counters at each scrape: the hot path
// pays nothing for metrics.
type pipelineCollector struct {
	p *pipeline
}

func (c *pipelineCollector) Describe(ch chan<- *prometheus.Desc) {
	prometheus.DescribeByCollect(c, ch)
}

func (c *pipelineCollector) Collect(ch chan<- prometheus.Metric) {
	if c.p.lines != nil {
		c.collectConn(ch)
	}
	ch <- counter(descPrinted, float64(c.p.printer.Printed()))
	for _, o := range []*actors.Output{c.p.out.stdout, c.p.out.stderr} {
		s := o.Stats()
		ch <- gauge(descOutputBuffered, float64(s.Buffered), s.Name)
		for stream, n := range s.Dropped {
			ch <- counter(descOutputDropped, float64(n), stream)
		}
	}
	c.collectNATS(ch)

	ch <- histogram(descLatency, c.p.hub.Latency())
	ch <- histogram(descDecision, c.p.hub.DecisionLatency())
	for _, s := range c.p.hub.Stats() {
		ch <- gauge(descQueueDepth, float64(s.Queued), s.Name)
		ch <- gauge(descQueueCap, float64(s.Capacity), s.Name)
		ch <- counter(descDelivered, float64(s.Delivered), s.Name)
		ch <- counter(descDropped, float64(s.Dropped), s.Name)
	}
	if w := c.p.whitelist; w != nil {
		s := w.Stats()
		ch <- counter(descMatches, float64(s.Matched))
		for reason, n := range s.Rejected {
			ch <- counter(descRejected, float64(n), reason.String())
		}
		ch <- gauge(descEntries, float64(s.Entries))
		ch <- counter(descAlertsDropped, float64(s.AlertsDropped), "whitelist")
	}
	if r := c.p.recorder; r != nil {
		s := r.Stats()
		ch <- counter(descRecorded, float64(s.Recorded))
		ch <- counter(descRecordDropped, float64(s.Dropped))
		ch <- counter(descRecordFailed, float64(s.Failed))
		ch <- gauge(descRecordQueue, float64(s.Queued))
		ch <- counter(descCompacted, float64(c.p.compactor.Stats().Compacted))
		// Listed at each scrape: a journal holds a few dozen segments.
		if segs, err := journal.ListSegments(c.p.journalDir); err == nil {
			var size int64
			for _, seg := range segs {
				size += seg.Size
			}
			ch <- gauge(descJournalBytes, float64(size))
			ch <- gauge(descJournalSegments, float64(len(segs)))
		}
	}
	if d := c.p.discord; d != nil {
		s := d.Stats()
		ch <- counter(descAlerts, float64(s.Sent), "sent")
		ch <- counter(descAlerts, float64(s.Failed), "failed")
		ch <- counter(descAlerts, float64(s.Abandoned), "abandoned")
		ch <- counter(descAlertRetries, float64(s.Retries))
		ch <- counter(descRateLimited, float64(s.RateLimited))
		ch <- counter(descAlertsDropped, float64(s.Dropped), "discord")
	}
}

// collectConn reports the connections and the parser, which -source has
// not: each connection under its number (conn="1"), the feed as a whole
// (rollsniper_feed_up, the last trade on any connection) without one.
func (c *pipelineCollector) collectConn(ch chan<- prometheus.Metric) {
	now := time.Now()
	last := c.p.started
	for _, line := range c.p.lines.Conns() {
		conn, n := line.Stats(), strconv.Itoa(line.Number())
		for _, s := range connStates {
			ch <- gauge(descState, boolFloat(conn.State == s), n, s.String())
		}
		ch <- counter(descSessions, float64(conn.Sessions), n)
		for reason, count := range conn.Reconnects {
			ch <- counter(descReconnects, float64(count), n, reason)
		}
		ch <- gauge(descBackoff, conn.Backoff.Seconds(), n)
		ch <- gauge(descFailures, float64(conn.ConsecutiveFailures), n)
		ch <- counter(descFrames, float64(conn.Frames), n)
		ch <- counter(descUnconfirmed, float64(conn.UnconfirmedStops), n)
		ch <- counter(descAbandoned, float64(conn.AbandonedFrames), n)
		if conn.LastTrade.After(last) {
			last = conn.LastTrade
		}
	}
	ch <- gauge(descFeedUp, boolFloat(c.p.lines.Up() > 0))
	ch <- gauge(descLastTrade, now.Sub(last).Seconds())

	parser := c.p.parser.Stats()
	ch <- counter(descTrades, float64(parser.Trades))
	for kind, n := range parser.Skipped {
		ch <- counter(descParseErrors, float64(n), string(kind))
	}
	for _, l := range parser.Lines {
		n := strconv.Itoa(l.Conn)
		ch <- counter(descFirst, float64(l.First), n)
		ch <- counter(descDuplicates, float64(l.Duplicates), n)
		ch <- histogram(descLead, l.Lead, n)
	}
}

// histogram is a latency snapshot as a Prometheus histogram.
func histogram(d *prometheus.Desc, s latency.Snapshot, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(s.Bounds))
	for i, le := range s.Bounds {
		buckets[le] = s.Counts[i]
	}
	return prometheus.MustNewConstHistogram(d, s.Count, s.Sum, buckets, labels...)
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
