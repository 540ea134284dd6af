package main

import (
	"log/slog"
	"time"
)

// runSummary is what the last line of a stop says happened while the
// program ran. Each part the run did not have (a whitelist, alerts, a feed
// connection) is left out, so that "matches=0" always means none matched.
type runSummary struct {
	Uptime time.Duration
	Trades uint64 // trades that reached the sinks

	HasWhitelist bool
	Matches      uint64

	HasConn    bool   // the feed was read (not -source)
	Reconnects uint64 // sessions that ended and were opened again

	HasAlerts                bool // a Discord webhook was set
	AlertsSent, AlertsFailed uint64

	RecordsDropped uint64 // trade and match records stdout did not keep up with

	// DeliveredFirst is, with several connections, how many trades each
	// brought first (connection 1 first); nil with one.
	DeliveredFirst []uint64
}

// summary reads the run's counters, now.
func (p *pipeline) summary(now time.Time) runSummary {
	s := runSummary{Uptime: now.Sub(p.started), Trades: p.tradesIn()}
	if p.whitelist != nil {
		s.HasWhitelist, s.Matches = true, p.whitelist.Stats().Matched
	}
	if p.lines != nil {
		s.HasConn = true
		for _, c := range p.lines.Conns() {
			for _, n := range c.Stats().Reconnects {
				s.Reconnects += n
			}
		}
		if first := p.deliveredFirst(); len(first) > 1 {
			s.DeliveredFirst = first
		}
	}
	if p.discord != nil {
		d := p.discord.Stats()
		s.HasAlerts, s.AlertsSent, s.AlertsFailed = true, d.Sent, d.Failed
	}
	for _, n := range p.out.stdout.Stats().Dropped {
		s.RecordsDropped += n
	}
	return s
}

// attrs are the summary as the "stopped" line's attributes.
func (s runSummary) attrs() []slog.Attr {
	uptime := s.Uptime.Round(time.Second)
	if s.Uptime < 10*time.Second {
		uptime = s.Uptime.Round(time.Millisecond)
	}
	a := []slog.Attr{slog.Duration("uptime", uptime), slog.Uint64("trades", s.Trades)}
	if s.HasWhitelist {
		a = append(a, slog.Uint64("matches", s.Matches))
	}
	if s.HasConn {
		a = append(a, slog.Uint64("reconnects", s.Reconnects))
	}
	if s.HasAlerts {
		a = append(a, slog.Uint64("alerts_sent", s.AlertsSent), slog.Uint64("alerts_failed", s.AlertsFailed))
	}
	if s.DeliveredFirst != nil {
		a = append(a, deliveredFirstAttr(s.DeliveredFirst))
	}
	if s.RecordsDropped > 0 {
		a = append(a, slog.Uint64("records_dropped", s.RecordsDropped))
	}
	return a
}
