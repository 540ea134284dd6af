package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/journal/journaltest"
	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// startMetrics serves tp's metrics on a free loopback port beside the pipeline
// and returns the server's base URL.
func startMetrics(t *testing.T, tp *testPipeline) string {
	t.Helper()
	m, err := listenMetrics("127.0.0.1:0", tp.pipeline, tp.log)
	if err != nil {
		t.Fatal(err)
	}
	tp.extra = append(tp.extra, m.Run)
	return "http://" + m.Addr().String()
}

// get fetches url and returns the status and body.
func get(ctx context.Context, t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// scrape fetches /metrics and returns every sample by its name and labels as
// the text format writes them, e.g. `rollsniper_sink_dropped_total{sink="printer"}`.
func scrape(ctx context.Context, t *testing.T, base string) map[string]float64 {
	t.Helper()
	status, body := get(ctx, t, base+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d\n%s", status, body)
	}
	return samples(t, body)
}

// collect returns p's own metrics as scrape does, without a server: for a
// pipeline that has stopped.
func collect(t *testing.T, p *pipeline) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(&pipelineCollector{p: p})
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return samples(t, rec.Body.String())
}

// samples reads the text format into a map by name and labels.
func samples(t *testing.T, body string) map[string]float64 {
	t.Helper()
	samples := make(map[string]float64)
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

func TestMetricsCountThePipeline(t *testing.T) {
	var base string
	tp := startPipeline(t, gqlws.SubCreateTrades, func(tp *testPipeline) { base = startMetrics(t, tp) })
	ctx := testCtx(t)

	ids := publishIDs(tp.srv, 5)
	tp.srv.SendRaw([]byte(`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":`))
	tp.seen.wait(ctx, t, len(ids))
	tp.logs.WaitCount(ctx, t, "frame skipped", 1)

	got := scrape(ctx, t, base)
	want := map[string]float64{
		`rollsniper_connection_state{conn="1",state="subscribed"}`: 1,
		`rollsniper_connection_state{conn="1",state="waiting"}`:    0,
		`rollsniper_feed_up`:                                     1,
		`rollsniper_trades_first_total{conn="1"}`:                5,
		`rollsniper_duplicates_dropped_total{conn="1"}`:          0,
		`rollsniper_connection_lead_seconds_count{conn="1"}`:     0,
		`rollsniper_sessions_total{conn="1"}`:                    1,
		`rollsniper_trades_received_total`:                       5,
		`rollsniper_parse_errors_total{kind="malformed_json"}`:   1,
		`rollsniper_parse_errors_total{kind="invalid_trade"}`:    0,
		`rollsniper_sink_delivered_total{sink="printer"}`:        5,
		`rollsniper_sink_delivered_total{sink="recorder"}`:       5,
		`rollsniper_sink_dropped_total{sink="printer"}`:          0,
		`rollsniper_sink_queue_capacity{sink="printer"}`:         sinkQueue,
		`rollsniper_consecutive_failures{conn="1"}`:              0,
		`rollsniper_backoff_seconds{conn="1"}`:                   0,
		`rollsniper_frame_to_sink_seconds_count`:                 5,
		`rollsniper_frames_received_total{conn="1"}`:             got[`rollsniper_frames_received_total{conn="1"}`],
		`rollsniper_reconnects_total{conn="1",reason="dropped"}`: 0,
		`rollsniper_frame_to_sink_seconds_bucket{le="+Inf"}`:     5,
		`rollsniper_last_trade_age_seconds`:                      got[`rollsniper_last_trade_age_seconds`],
		`go_goroutines`:                                          got[`go_goroutines`],
		`process_resident_memory_bytes`:                          got[`process_resident_memory_bytes`],
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s is missing", name)
		} else if g != w {
			t.Errorf("%s = %v, want %v", name, g, w)
		}
	}
	if n := got[`rollsniper_frames_received_total{conn="1"}`]; n < 7 { // ack, 5 trades' frames, the malformed one
		t.Errorf("rollsniper_frames_received_total = %v, want at least 7", n)
	}
	if age := got[`rollsniper_last_trade_age_seconds`]; age < 0 || age > 60 {
		t.Errorf("rollsniper_last_trade_age_seconds = %v, want the seconds since the trades were sent", age)
	}

	// A drop is counted by reason, and the state and failures follow it.
	tp.srv.DropAll()
	if err := tp.srv.WaitSubscribed(ctx, 2); err != nil {
		t.Fatal(err)
	}
	got = scrape(ctx, t, base)
	if n := got[`rollsniper_reconnects_total{conn="1",reason="dropped"}`]; n != 1 {
		t.Errorf(`rollsniper_reconnects_total{conn="1",reason="dropped"} = %v, want 1`, n)
	}
	if n := got[`rollsniper_sessions_total{conn="1"}`]; n != 2 {
		t.Errorf("rollsniper_sessions_total = %v, want 2", n)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	var base string
	tp := startPipeline(t, gqlws.SubCreateTrades, func(tp *testPipeline) { base = startMetrics(t, tp) })
	ctx := testCtx(t)

	if status, body := get(ctx, t, base+"/healthz"); status != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q, want 200 ok", status, body)
	}
	// Subscribed, and the ack was a frame within the ping window: ready.
	if status, body := get(ctx, t, base+"/readyz"); status != http.StatusOK {
		t.Errorf("/readyz while subscribed: %d %q, want 200", status, body)
	}

	// Refused reconnects: not ready, and the answer says why.
	tp.srv.RefuseNext(1000, http.StatusServiceUnavailable, nil)
	tp.srv.DropAll()
	tp.logs.WaitFor(ctx, t, "a refused reconnect", func(rs []logtest.Record) bool {
		for _, r := range rs {
			if strings.Contains(r.String("reason"), "HTTP 503") {
				return true
			}
		}
		return false
	})
	status, body := get(ctx, t, base+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(body, "not ready: the connection is ") {
		t.Errorf("/readyz while refused: %d %q, want 503 saying why", status, body)
	}
	if status, _ := get(ctx, t, base+"/healthz"); status != http.StatusOK {
		t.Errorf("/healthz while refused: %d, want 200: the process is alive", status)
	}
}

func TestNotReadyWhenSilentPastTheWindow(t *testing.T) {
	tp := startPipeline(t, gqlws.SubCreateTrades)
	now := time.Now()
	if why := tp.notReady(now); why != "" {
		t.Fatalf("subscribed with a fresh frame: not ready: %s", why)
	}
	window := tp.lines.Conns()[0].Stats().Window
	later := now.Add(window + time.Minute)
	if why := tp.notReady(later); !strings.HasPrefix(why, "no frame for ") {
		t.Errorf("silent past the window: %q, want it to say no frame for so long", why)
	}
}

func TestMetricsPortInUseIsASettingToFix(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(testCtx(t), []string{"-url", "ws://127.0.0.1:1/ws", "-metrics-addr", ln.Addr().String()}, io.Discard, io.Discard)
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "-metrics-addr (ROLL_METRICS_ADDR)") || exitCode(err) != 2 {
		t.Errorf("got %v, want a ConfigError naming -metrics-addr (exit 2)", err)
	}
}

// stuckSink takes nothing from its queue until release is closed, then
// drains it: a sink whose queue holds what the test sent it.
type stuckSink struct{ release chan struct{} }

var _ actors.Sink = (*stuckSink)(nil)

func (s *stuckSink) Run(ctx context.Context, in <-chan messages.Trade) error {
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	for range in {
	}
	return nil
}

// The gauges report what the test knows to be so, not what the scrape says:
// the age of the last trade before any trade counts from the start (an hour
// ago here), and a queue's depth is the trades waiting in it, not its
// capacity.
func TestMetricsReportWhatTheTestKnows(t *testing.T) {
	stuck := &stuckSink{release: make(chan struct{})}
	var base string
	started := time.Now().Add(-time.Hour)
	tp := startPipeline(t, "createTrades", func(tp *testPipeline) {
		base = startMetrics(t, tp)
		tp.started = started
		// First, so that the hub has offered it a trade before the recorder
		// (last) sees that trade.
		tp.sinks = append([]namedSink{{"stuck", stuck, 100}}, tp.sinks...)
	})
	t.Cleanup(func() { close(stuck.release) }) // before the pipeline's stop
	ctx := testCtx(t)

	before := time.Since(started).Seconds()
	got := scrape(ctx, t, base)
	after := time.Since(started).Seconds()
	if age := got["rollsniper_last_trade_age_seconds"]; age < before || age > after {
		t.Errorf("last trade age before any trade = %vs, want the %v to %vs since the start", age, before, after)
	}

	const n = 7
	publishIDs(tp.srv, n)
	tp.seen.wait(ctx, t, n)
	got = scrape(ctx, t, base)
	for name, want := range map[string]float64{
		`rollsniper_sink_queue_depth{sink="stuck"}`:     n,
		`rollsniper_sink_queue_capacity{sink="stuck"}`:  100,
		`rollsniper_sink_delivered_total{sink="stuck"}`: n,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	if age := got["rollsniper_last_trade_age_seconds"]; age > time.Since(started).Seconds()-before {
		t.Errorf("last trade age = %vs after the trades, want it counted from them", age)
	}
}

// scriptedHook is a Discord stand-in that answers its requests with the
// script's statuses in turn (429 with a millisecond's retry_after), and then
// 204.
type scriptedHook struct {
	url  string
	mu   sync.Mutex
	next int
	done chan struct{} // closed once the script is spent
}

func startScriptedHook(t *testing.T, script ...int) *scriptedHook {
	t.Helper()
	h := &scriptedHook{done: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		status := http.StatusNoContent
		if h.next < len(script) {
			status = script[h.next]
		}
		h.next++
		if h.next == len(script)+1 {
			close(h.done)
		}
		h.mu.Unlock()
		if status == http.StatusTooManyRequests {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprint(w, `{"retry_after":0.001,"global":false}`)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/api/webhooks/1/scripted-token"
	return h
}

// Each Discord counter reports its own outcome: for a script the test wrote,
// the numbers the test works out from it.
func TestMetricsCountDiscordOutcomes(t *testing.T) {
	// First alert: two 429s, then a 400 (given up: failed). Second: a 500
	// (retried after 500 ms), then a 204 (sent).
	hook := startScriptedHook(t, 429, 429, 400, 500)
	want := map[string]float64{
		`rollsniper_discord_alerts_total{outcome="sent"}`:      1,
		`rollsniper_discord_alerts_total{outcome="failed"}`:    1,
		`rollsniper_discord_alerts_total{outcome="abandoned"}`: 0,
		`rollsniper_discord_retries_total`:                     1,
		`rollsniper_discord_rate_limited_total`:                2,
	}
	var wanted []fakeroll.Trade
	tp := startPipelineArgs(t, func(srv *fakeroll.Server) []string {
		wanted = []fakeroll.Trade{srv.NewTrade()}
		wanted = append(wanted, otherTrade(srv, wanted...))
		return []string{"-whitelist", writeFile(t, "wl.json", whitelistFor(wanted...)), "-discord-webhook", hook.url}
	})
	ctx := testCtx(t)
	for _, tr := range wanted {
		tp.srv.Publish(tr)
	}
	select {
	case <-hook.done:
	case <-ctx.Done():
		t.Fatal("the alerts were not all posted")
	}
	if err := tp.stop(); err != nil { // the alert sink settles the last answer first
		t.Fatal(err)
	}
	got := collect(t, tp.pipeline)
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %v, want %v", name, got[name], w)
		}
	}
}

func TestMetricsCountTheRecording(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "journal")
	var base string
	tp := startPipelineArgs(t, func(*fakeroll.Server) []string { return []string{"-record", dir} },
		func(tp *testPipeline) { base = startMetrics(t, tp) })
	ctx := testCtx(t)
	ids := publishIDs(tp.srv, 5)
	tp.seen.wait(ctx, t, len(ids))
	for tp.recorder.Stats().Recorded < 5 {
		if ctx.Err() != nil {
			t.Fatalf("recorder stats %+v, want 5 frames recorded", tp.recorder.Stats())
		}
		runtime.Gosched()
	}
	got := scrape(ctx, t, base)
	for name, want := range map[string]float64{
		`rollsniper_record_frames_total`:     5,
		`rollsniper_record_dropped_total`:    0,
		`rollsniper_record_errors_total`:     0,
		`rollsniper_record_queue_depth`:      0,
		`rollsniper_record_journal_segments`: 1,
		`rollsniper_record_compacted_total`:  0,
	} {
		if g, ok := got[name]; !ok || g != want {
			t.Errorf("%s = %v (present %t), want %v", name, g, ok, want)
		}
	}
	if got[`rollsniper_record_journal_bytes`] <= 0 {
		t.Errorf("rollsniper_record_journal_bytes = %v, want the segment's size", got[`rollsniper_record_journal_bytes`])
	}
	if err := tp.stop(); err != nil {
		t.Fatal(err)
	}
	// Stopped: the journal holds the session and its five frames.
	recs, damage := journaltest.ReadAll(t, dir)
	var kinds []journal.Kind
	for _, rec := range recs {
		kinds = append(kinds, rec.Kind)
	}
	want := []journal.Kind{journal.KindSessionStart, journal.KindFrame, journal.KindFrame, journal.KindFrame, journal.KindFrame, journal.KindFrame, journal.KindSessionEnd}
	if !slices.Equal(kinds, want) || len(damage) > 0 {
		t.Errorf("journal %v, damage %v; want %v", kinds, damage, want)
	}
}
