package main

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
)

func TestSummaryAttrs(t *testing.T) {
	tests := []struct {
		name string
		s    runSummary
		want string
	}{
		{"the feed alone", runSummary{Uptime: 90*time.Minute + 1400*time.Millisecond, Trades: 5400, HasConn: true, Reconnects: 2},
			"uptime=1h30m1s trades=5400 reconnects=2"},
		{"a short run", runSummary{Uptime: 2345678 * time.Microsecond, Trades: 3, HasConn: true},
			"uptime=2.346s trades=3 reconnects=0"},
		{"whitelist and alerts", runSummary{Uptime: time.Hour, Trades: 10, HasWhitelist: true, Matches: 4, HasConn: true, Reconnects: 1,
			HasAlerts: true, AlertsSent: 3, AlertsFailed: 1},
			"uptime=1h0m0s trades=10 matches=4 reconnects=1 alerts_sent=3 alerts_failed=1"},
		{"a NATS source, with records dropped", runSummary{Uptime: time.Minute, Trades: 10, HasWhitelist: true, RecordsDropped: 7},
			"uptime=1m0s trades=10 matches=0 records_dropped=7"},
	}
	for _, tt := range tests {
		var parts []string
		for _, a := range tt.s.attrs() {
			parts = append(parts, a.String())
		}
		if got := strings.Join(parts, " "); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// The stop's last line says what happened: how long it ran, the trades, the
// matches, the reconnects and the alerts.
func TestRunStopSummary(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	hook := startWebhook(t)
	wanted := srv.NewTrade()
	other := otherTrade(srv, wanted)
	started := time.Now()
	s := runSniper(ctx, t, append(fastArgs(srv.URL()), "-whitelist", writeFile(t, "wl.json", whitelistFor(wanted)), "-discord-webhook", hook.url)...)
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	srv.Publish(other)
	s.stdout.waitLines(ctx, t, 1)
	srv.DropAll()
	if err := srv.WaitSubscribed(ctx, 2); err != nil {
		t.Fatal(err)
	}
	srv.Publish(wanted, other)
	s.stdout.waitLines(ctx, t, 4) // three trades and a match
	select {
	case <-hook.posted:
	case <-ctx.Done():
		t.Fatal("no alert was posted")
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	ran := time.Since(started)

	var got map[string]any
	for line := range strings.Lines(s.stderr.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err == nil && rec[slog.MessageKey] == "stopped" {
			got = rec
		}
	}
	if got == nil {
		t.Fatalf("no stopped line:\n%s", s.stderr)
	}
	uptime, err := time.ParseDuration(got["uptime"].(string))
	if err != nil || uptime <= 0 || uptime > ran {
		t.Errorf("uptime %v, want a duration up to %v", got["uptime"], ran)
	}
	for key, want := range map[string]float64{"trades": 3, "matches": 1, "reconnects": 1, "alerts_sent": 1, "alerts_failed": 0} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v: %v", key, got[key], want, got)
		}
	}
}
