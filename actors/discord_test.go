package actors

// Tests of the Discord sink against a local webhook server that records every
// request and answers from a script.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// discordTimeoutTest bounds every wait in these tests, so a sink that hangs
// fails the test instead of hanging it.
const discordTimeoutTest = 10 * time.Second

// discordTestDrain is the DrainTimeout of every test sink: a value no retry
// wait has, so the fake clock can hold the drain deadline until a test fires it.
const discordTestDrain = 47 * time.Minute

// discordToken is the secret part of the test webhook's URL.
const discordToken = "tOkEn-s3cr3t_ZmFrZXdlYmhvb2t0b2tlbg"

// discordMatch returns a match for a real-looking listing, numbered by id, that
// took 3.2 µs from receipt to decision.
func discordMatch(id string) messages.Match {
	recv := time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)
	return messages.Match{
		Trade: messages.Trade{
			ID:            id,
			Status:        "LISTED",
			MarkupPercent: 11.98,
			TotalValue:    27.45,
			MarketName:    "StatTrak™ AK-47 | Redline (Field-Tested)",
			Brand:         "AK-47",
			SkinName:      "Redline",
			Wear:          messages.WearFieldTested,
			StatTrak:      true,
			Items:         1,
			ReceivedAt:    recv,
		},
		Entry:      `#3 "AK-47 | Redline" Field-Tested, max markup 12%`,
		EntryIndex: 2,
		DecidedAt:  recv.Add(3200 * time.Nanosecond),
	}
}

// discordClock is the sink's injected wait: it records every wait and fires it
// at once, except a wait of hold (the drain deadline), which fires only when
// the test closes fire.
type discordClock struct {
	hold time.Duration
	fire chan time.Time

	mu    sync.Mutex
	waits []time.Duration
}

func newDiscordClock() *discordClock {
	return &discordClock{hold: discordTestDrain, fire: make(chan time.Time)}
}

func (c *discordClock) after(d time.Duration) <-chan time.Time {
	if d == c.hold {
		return c.fire
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}

// Waits returns the waits asked for so far, the drain deadline aside.
func (c *discordClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// discordReply is one scripted answer of the test webhook.
type discordReply struct {
	status int
	header map[string]string
	body   string
	// slow blocks the answer until the test releases the server or the
	// request's context ends; then it answers status.
	slow bool
	// hangup closes the connection without answering.
	hangup bool
}

// discordRequest is a request the test webhook received.
type discordRequest struct {
	method, contentType string
	body                []byte
}

// tradeID returns the Trade field of the request's embed.
func (r discordRequest) tradeID(t *testing.T) string {
	t.Helper()
	var p struct {
		Embeds []struct {
			Fields []struct{ Name, Value string }
		}
	}
	if err := json.Unmarshal(r.body, &p); err != nil || len(p.Embeds) != 1 {
		t.Fatalf("request body %s: %v, want one embed", r.body, err)
	}
	for _, f := range p.Embeds[0].Fields {
		if f.Name == "Trade" {
			return f.Value
		}
	}
	t.Fatalf("request body %s has no Trade field", r.body)
	return ""
}

// discordServer is a local webhook that records every request on got and
// answers from its script, then 204 once the script is used up.
type discordServer struct {
	*httptest.Server
	got       chan discordRequest
	cancelled chan struct{} // a slow request's context ended before release
	release   chan struct{} // closed by Release to let every slow request answer
	once      sync.Once

	mu     sync.Mutex
	script []discordReply
}

// newDiscordServer starts a webhook answering script and stops it when the
// test ends, after releasing any slow request.
func newDiscordServer(t *testing.T, script ...discordReply) *discordServer {
	t.Helper()
	s := &discordServer{
		got:       make(chan discordRequest, 100),
		cancelled: make(chan struct{}, 100),
		release:   make(chan struct{}),
		script:    script,
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.Release()
		s.Close()
	})
	return s
}

// Release lets every slow request, now and later, answer.
func (s *discordServer) Release() { s.once.Do(func() { close(s.release) }) }

// Webhook is the server's webhook URL, token included.
func (s *discordServer) Webhook() string {
	return s.URL + "/api/webhooks/1349876543210987654/" + discordToken
}

func (s *discordServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.got <- discordRequest{method: r.Method, contentType: r.Header.Get("Content-Type"), body: body}
	s.mu.Lock()
	reply := discordReply{status: http.StatusNoContent}
	if len(s.script) > 0 {
		reply, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	switch {
	case reply.hangup:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case reply.slow:
		select {
		case <-s.release:
		case <-r.Context().Done():
			s.cancelled <- struct{}{}
			return
		}
	}
	for k, v := range reply.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(reply.status)
	io.WriteString(w, reply.body)
}

// requests returns the n requests received so far, failing if there are more
// or fewer.
func (s *discordServer) requests(t *testing.T, n int) []discordRequest {
	t.Helper()
	got := make([]discordRequest, 0, n)
	for {
		select {
		case r := <-s.got:
			got = append(got, r)
		default:
			if len(got) != n {
				t.Errorf("server got %d requests, want %d", len(got), n)
			}
			return got
		}
	}
}

// next waits for the server's next request.
func (s *discordServer) next(t *testing.T) discordRequest {
	t.Helper()
	select {
	case r := <-s.got:
		return r
	case <-time.After(discordTimeoutTest):
		t.Fatal("the server got no request")
		return discordRequest{}
	}
}

// sawCancel waits until a slow request's context ended on the server.
func (s *discordServer) sawCancel(t *testing.T) {
	t.Helper()
	select {
	case <-s.cancelled:
	case <-time.After(discordTimeoutTest):
		t.Fatal("the server never saw the request cancelled")
	}
}

// newTestDiscord returns a sink posting to webhook with the fake clock, after
// edit has changed its config, and the recorder of its logs.
func newTestDiscord(webhook string, clock *discordClock, edit func(*DiscordConfig)) (*Discord, *logtest.Recorder) {
	cfg := DiscordConfig{WebhookURL: webhook, DrainTimeout: discordTestDrain, after: clock.after}
	if edit != nil {
		edit(&cfg)
	}
	rec, log := logtest.New()
	return NewDiscord(cfg, log.With("actor", "discord")), rec
}

// discordFeed feeds matches to d, closes its input, and returns what Run returns.
func discordFeed(t *testing.T, d *Discord, matches ...messages.Match) error {
	t.Helper()
	in := make(chan messages.Match, len(matches))
	for _, m := range matches {
		in <- m
	}
	close(in)
	ctx, cancel := context.WithTimeout(t.Context(), discordTimeoutTest)
	defer cancel()
	return d.Run(ctx, in)
}

// discordRunning is a Run on its own goroutine, fed through in.
type discordRunning struct {
	in     chan messages.Match
	cancel context.CancelFunc
	done   chan error
}

// startDiscord runs d on a goroutine until the test ends; in is unbuffered, so
// a send returns once Run has taken the match.
func startDiscord(t *testing.T, d *Discord) *discordRunning {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	r := &discordRunning{in: make(chan messages.Match), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- d.Run(ctx, r.in) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// wait returns what Run returned, failing if it does not return promptly.
func (r *discordRunning) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(discordTimeoutTest):
		t.Fatal("Run did not return")
		return nil
	}
}

func TestDiscordEmbed(t *testing.T) {
	long := strings.Repeat("ž", 2000) // two bytes in UTF-8, one UTF-16 unit
	stickers := discordMatch("VHJhZGU6MzQ5MjEwMjA")
	stickers.Trade.MarketName = strings.Repeat("Sticker | Crown (Foil) ", 20)
	stickers.Trade.Wear = messages.WearNone
	stickers.Trade.TotalValue = 1234.5
	stickers.Trade.MarkupPercent = -3.456
	stickers.Entry = long
	stickers.DecidedAt = stickers.Trade.ReceivedAt.Add(1500 * time.Microsecond)

	tests := []struct {
		name  string
		match messages.Match
		want  string
	}{
		{"every field", discordMatch("VHJhZGU6MzI5OTM0NzI"), `{"username":"rollsniper","embeds":[{
			"title":"StatTrak™ AK-47 | Redline (Field-Tested)","color":5763719,
			"fields":[
				{"name":"Wear","value":"Field-Tested","inline":true},
				{"name":"Price","value":"27.45 coins","inline":true},
				{"name":"Markup","value":"11.98%","inline":true},
				{"name":"Decision","value":"3.2 µs","inline":true},
				{"name":"Entry","value":"#3 \"AK-47 | Redline\" Field-Tested, max markup 12%","inline":false},
				{"name":"Trade","value":"VHJhZGU6MzI5OTM0NzI","inline":true}],
			"timestamp":"2025-03-14T15:09:26.535Z"}]}`},
		{"no wear, long texts cut to Discord's limits", stickers, `{"username":"rollsniper","embeds":[{
			"title":"` + strings.Repeat("Sticker | Crown (Foil) ", 20)[:255] + `…","color":5763719,
			"fields":[
				{"name":"Wear","value":"—","inline":true},
				{"name":"Price","value":"1234.50 coins","inline":true},
				{"name":"Markup","value":"-3.46%","inline":true},
				{"name":"Decision","value":"1.5 ms","inline":true},
				{"name":"Entry","value":"` + long[:2*1023] + `…","inline":false},
				{"name":"Trade","value":"VHJhZGU6MzQ5MjEwMjA","inline":true}],
			"timestamp":"2025-03-14T15:09:26.536Z"}]}`},
		{"nothing known", messages.Match{}, `{"username":"rollsniper","embeds":[{
			"title":"Whitelist match","color":5763719,
			"fields":[
				{"name":"Wear","value":"—","inline":true},
				{"name":"Price","value":"0.00 coins","inline":true},
				{"name":"Markup","value":"0.00%","inline":true},
				{"name":"Decision","value":"unknown","inline":true},
				{"name":"Entry","value":"—","inline":false},
				{"name":"Trade","value":"—","inline":true}]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDiscordServer(t)
			d, _ := newTestDiscord(srv.Webhook(), newDiscordClock(), nil)
			if err := discordFeed(t, d, tt.match); err != nil {
				t.Fatalf("Run() = %v, want nil", err)
			}
			req := srv.requests(t, 1)[0]
			if req.method != http.MethodPost || req.contentType != "application/json" {
				t.Errorf("request is %s with Content-Type %q, want POST application/json", req.method, req.contentType)
			}
			var got, want any
			if err := json.Unmarshal(req.body, &got); err != nil {
				t.Fatalf("body %s: %v", req.body, err)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatalf("want %s: %v", tt.want, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("body =\n%s\nwant\n%s", req.body, tt.want)
			}
			if got, want := d.Stats(), (DiscordStats{Sent: 1}); got != want {
				t.Errorf("Stats() = %+v, want %+v", got, want)
			}
		})
	}
}

func TestDiscordAnswers(t *testing.T) {
	rateLimited := func(body string, header map[string]string) discordReply {
		return discordReply{status: http.StatusTooManyRequests, body: body, header: header}
	}
	limited := rateLimited(`{"message":"You are being rate limited.","retry_after":0.25,"global":false}`, nil)
	status := func(code int) discordReply { return discordReply{status: code} }
	repeat := func(r discordReply, n int) []discordReply { return slices.Repeat([]discordReply{r}, n) }

	tests := []struct {
		name      string
		script    []discordReply
		matches   int
		wantTrade []string        // the trade of every request, in order
		wantWaits []time.Duration // what the sink waited before a request
		want      DiscordStats
		wantLogs  []string // messages logged at info or above, in order
	}{{
		name:      "204 is sent",
		script:    []discordReply{status(http.StatusNoContent)},
		matches:   1,
		wantTrade: []string{"a"},
		want:      DiscordStats{Sent: 1},
	}, {
		name:      "200 with ?wait=true is sent",
		script:    []discordReply{{status: http.StatusOK, body: `{"id":"1"}`}},
		matches:   1,
		wantTrade: []string{"a"},
		want:      DiscordStats{Sent: 1},
	}, {
		name:      "429 retry_after is waited, then the same alert sent",
		script:    []discordReply{limited, status(http.StatusNoContent)},
		matches:   2,
		wantTrade: []string{"a", "a", "b"},
		wantWaits: []time.Duration{250 * time.Millisecond},
		want:      DiscordStats{Sent: 2, RateLimited: 1},
	}, {
		name: "429 without a JSON body falls back to the headers",
		script: []discordReply{
			rateLimited(`<html>Cloudflare</html>`, map[string]string{"X-RateLimit-Reset-After": "1.5", "Retry-After": "2"}),
			rateLimited(``, map[string]string{"Retry-After": "3"}),
			rateLimited(``, nil),
		},
		matches:   1,
		wantTrade: []string{"a", "a", "a", "a"},
		wantWaits: []time.Duration{1500 * time.Millisecond, 3 * time.Second, time.Second},
		want:      DiscordStats{Sent: 1, RateLimited: 3},
	}, {
		name:      "429s are bounded: the alert is given up, the next one sent",
		script:    repeat(limited, discordMaxRateLimited+1),
		matches:   2,
		wantTrade: append(slices.Repeat([]string{"a"}, discordMaxRateLimited+1), "b"),
		wantWaits: slices.Repeat([]time.Duration{250 * time.Millisecond}, discordMaxRateLimited),
		want:      DiscordStats{Sent: 1, Failed: 1, RateLimited: discordMaxRateLimited + 1},
		wantLogs:  []string{"discord alert not sent: rate limited", "discord alerts delivered again"},
	}, {
		name:      "5xx is retried with backoff, then sent",
		script:    []discordReply{status(500), status(502)},
		matches:   1,
		wantTrade: []string{"a", "a", "a"},
		wantWaits: []time.Duration{500 * time.Millisecond, time.Second},
		want:      DiscordStats{Sent: 1, Retries: 2},
	}, {
		name:      "a dropped connection is retried",
		script:    []discordReply{{hangup: true}},
		matches:   1,
		wantTrade: []string{"a", "a"},
		wantWaits: []time.Duration{500 * time.Millisecond},
		want:      DiscordStats{Sent: 1, Retries: 1},
	}, {
		name:      "5xx past MaxRetries gives the alert up, the next one is sent",
		script:    repeat(status(503), discordMaxRetries+1),
		matches:   2,
		wantTrade: []string{"a", "a", "a", "a", "b"},
		wantWaits: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second},
		want:      DiscordStats{Sent: 1, Failed: 1, Retries: discordMaxRetries},
		wantLogs:  []string{"discord alert not sent: unavailable", "discord alerts delivered again"},
	}, {
		name:      "404 is not retried, logged once for a streak",
		script:    repeat(status(http.StatusNotFound), 3),
		matches:   4,
		wantTrade: []string{"a", "b", "c", "d"},
		want:      DiscordStats{Sent: 1, Failed: 3},
		wantLogs:  []string{"discord alert not sent: rejected", "discord alerts delivered again"},
	}, {
		name: "400 is not retried",
		script: []discordReply{{status: http.StatusBadRequest,
			body: `{"message":"Invalid Form Body","code":50035,"errors":{}}`}},
		matches:   2,
		wantTrade: []string{"a", "b"},
		want:      DiscordStats{Sent: 1, Failed: 1},
		wantLogs:  []string{"discord alert not sent: refused", "discord alerts delivered again"},
	}, {
		name: "an empty rate-limit bucket is waited out before the next request",
		script: []discordReply{{status: http.StatusNoContent,
			header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "0.734"}}},
		matches:   2,
		wantTrade: []string{"a", "b"},
		wantWaits: []time.Duration{734 * time.Millisecond},
		want:      DiscordStats{Sent: 2},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDiscordServer(t, tt.script...)
			clock := newDiscordClock()
			d, rec := newTestDiscord(srv.Webhook(), clock, nil)
			var matches []messages.Match
			for i := range tt.matches {
				matches = append(matches, discordMatch(string(rune('a'+i))))
			}
			if err := discordFeed(t, d, matches...); err != nil {
				t.Fatalf("Run() = %v, want nil once the input is closed and drained", err)
			}
			var gotTrade []string
			for _, r := range srv.requests(t, len(tt.wantTrade)) {
				gotTrade = append(gotTrade, r.tradeID(t))
			}
			if !slices.Equal(gotTrade, tt.wantTrade) {
				t.Errorf("requests were for trades %q, want %q", gotTrade, tt.wantTrade)
			}
			if got := clock.Waits(); !slices.Equal(got, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", got, tt.wantWaits)
			}
			if got := d.Stats(); got != tt.want {
				t.Errorf("Stats() = %+v, want %+v", got, tt.want)
			}
			var gotLogs []string
			for _, r := range rec.Records() {
				if r.Level >= slog.LevelInfo {
					gotLogs = append(gotLogs, r.Message)
				}
			}
			if !slices.Equal(gotLogs, tt.wantLogs) {
				t.Errorf("logged %q, want %q\n%s", gotLogs, tt.wantLogs, rec.Dump())
			}
		})
	}
}

func TestDiscordRejectedNamesTheSetting(t *testing.T) {
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := newDiscordServer(t, discordReply{status: code})
			d, rec := newTestDiscord(srv.Webhook(), newDiscordClock(), nil)
			if err := discordFeed(t, d, discordMatch("a")); err != nil {
				t.Fatalf("Run() = %v, want nil: a bad webhook must not stop the pipeline", err)
			}
			recs := rec.Matching("discord alert not sent: rejected")
			if len(recs) != 1 || recs[0].Level != slog.LevelError || recs[0].String("status") != fmt.Sprint(code) ||
				!strings.Contains(recs[0].String("hint"), "-discord-webhook (ROLL_DISCORD_WEBHOOK)") {
				t.Errorf("want one error naming -discord-webhook and status %d, logged:\n%s", code, rec.Dump())
			}
		})
	}
}

func TestDiscordSlowEndpointTimesOutAndRetries(t *testing.T) {
	srv := newDiscordServer(t, discordReply{slow: true, status: http.StatusNoContent})
	clock := newDiscordClock()
	// A real timeout: the slow answer never comes, so the request must time out.
	d, _ := newTestDiscord(srv.Webhook(), clock, func(c *DiscordConfig) { c.Timeout = 20 * time.Millisecond })
	if err := discordFeed(t, d, discordMatch("a")); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	srv.sawCancel(t)
	if got, want := d.Stats(), (DiscordStats{Sent: 1, Retries: 1}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if got, want := clock.Waits(), []time.Duration{500 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestDiscordCancelWhileSending(t *testing.T) {
	srv := newDiscordServer(t, discordReply{slow: true, status: http.StatusNoContent})
	d, _ := newTestDiscord(srv.Webhook(), newDiscordClock(), nil)
	run := startDiscord(t, d)
	run.in <- discordMatch("a")
	run.in <- discordMatch("b")
	srv.next(t) // "a" is in flight
	run.cancel()
	if err := run.wait(t); !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want context.Canceled", err)
	}
	srv.sawCancel(t)
	if got, want := d.Stats(), (DiscordStats{Abandoned: 2}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

func TestDiscordDrainTimeoutAbandonsTheRest(t *testing.T) {
	srv := newDiscordServer(t, discordReply{slow: true, status: http.StatusNoContent})
	clock := newDiscordClock()
	d, rec := newTestDiscord(srv.Webhook(), clock, nil)
	run := startDiscord(t, d)
	for _, id := range []string{"a", "b", "c"} {
		run.in <- discordMatch(id)
	}
	close(run.in)
	srv.next(t) // "a" is in flight and will never be answered
	close(clock.fire)
	if err := run.wait(t); err != nil {
		t.Errorf("Run() = %v, want nil: the input closed, the drain timed out", err)
	}
	srv.sawCancel(t)
	if got, want := d.Stats(), (DiscordStats{Abandoned: 3}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	recs := rec.Matching("discord drain timed out: alerts abandoned")
	if len(recs) != 1 || recs[0].String("abandoned") != "3" || recs[0].Level != slog.LevelWarn {
		t.Errorf("want one warning that 3 alerts were abandoned, logged:\n%s", rec.Dump())
	}
}

func TestDiscordQueueDropsOldest(t *testing.T) {
	srv := newDiscordServer(t, discordReply{slow: true, status: http.StatusNoContent})
	d, rec := newTestDiscord(srv.Webhook(), newDiscordClock(), func(c *DiscordConfig) { c.QueueSize = 2 })
	run := startDiscord(t, d)
	run.in <- discordMatch("a")
	srv.next(t) // "a" is in flight: the rest wait in the queue
	for _, id := range []string{"b", "c", "d", "e"} {
		run.in <- discordMatch(id)
	}
	close(run.in)
	srv.Release()
	if err := run.wait(t); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	var got []string
	for _, r := range srv.requests(t, 2) {
		got = append(got, r.tradeID(t))
	}
	if want := []string{"d", "e"}; !slices.Equal(got, want) {
		t.Errorf("after the first, requests were for %q, want the newest %q", got, want)
	}
	if got, want := d.Stats(), (DiscordStats{Sent: 3, Dropped: 2}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if n := len(rec.Matching("discord alert queue full: dropping the oldest alerts")); n != 1 {
		t.Errorf("logged %d queue-full warnings, want 1 for the streak:\n%s", n, rec.Dump())
	}
}

func TestDiscordWebhookNeverLeaks(t *testing.T) {
	srv := newDiscordServer(t,
		discordReply{status: http.StatusTooManyRequests, body: `{"retry_after":0.1}`},
		discordReply{hangup: true},
		discordReply{status: 500}, discordReply{status: 500}, discordReply{status: 500}, discordReply{status: 500},
		discordReply{status: http.StatusNotFound},
		discordReply{status: http.StatusBadRequest, body: `{"message":"bad webhook /api/webhooks/1349876543210987654/` + discordToken + `","code":50027}`},
		discordReply{slow: true, status: http.StatusNoContent}, // times out, then is retried
	)
	var errs []error
	d, rec := newTestDiscord(srv.Webhook(), newDiscordClock(), func(c *DiscordConfig) { c.Timeout = 50 * time.Millisecond })
	errs = append(errs, discordFeed(t, d, discordMatch("a"), discordMatch("b"), discordMatch("c"), discordMatch("d")))
	if got, want := d.Stats(), (DiscordStats{Sent: 1, Failed: 3, Retries: 5, RateLimited: 1}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}

	// A webhook nobody listens on: connection refused.
	dead := newDiscordServer(t)
	deadURL := dead.Webhook()
	dead.Close()
	d2, rec2 := newTestDiscord(deadURL, newDiscordClock(), nil)
	errs = append(errs, discordFeed(t, d2, discordMatch("e")))
	if got := d2.Stats(); got.Failed != 1 {
		t.Errorf("connection refused: Stats() = %+v, want one failed alert", got)
	}

	// A webhook that is not a URL.
	d3, rec3 := newTestDiscord("htps:://discord.com/api/webhooks/1/"+discordToken, newDiscordClock(), nil)
	err := discordFeed(t, d3)
	if err == nil {
		t.Error("Run() with a malformed webhook = nil, want an error")
	}
	errs = append(errs, err)

	var text strings.Builder
	for _, r := range [...]*logtest.Recorder{rec, rec2, rec3} {
		text.WriteString(r.Dump())
	}
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(&text, err)
		}
	}
	for _, secret := range []string{discordToken, srv.Webhook(), deadURL, "/api/webhooks/1349876543210987654/"} {
		if strings.Contains(text.String(), secret) {
			t.Errorf("the logs or errors contain %q:\n%s", secret, text.String())
		}
	}
	// The failures were logged, so the check above looked at real errors.
	for _, want := range []string{"connection refused", "EOF", "deadline exceeded", "discord alert not sent: unavailable",
		"discord alert not sent: refused", "<webhook path>"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the logs lack %q:\n%s", want, text.String())
		}
	}
}
