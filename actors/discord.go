package actors

// This file holds the Discord webhook sink: it posts one embed per match to a
// Discord webhook, honouring Discord's rate limits, retrying what is
// transient, and never letting a slow or dead webhook hold up the pipeline or
// its shutdown.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf16"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/messages"
)

// DiscordConfig is what the Discord sink needs. Zero values mean the defaults.
type DiscordConfig struct {
	// WebhookURL is the webhook to post to. It holds the webhook's token: it is
	// never logged and never part of an error.
	WebhookURL string
	// HTTPClient sends the requests; nil means a client of the sink's own, with
	// Timeout, whose idle connections are closed when Run returns.
	HTTPClient *http.Client
	// Timeout bounds one request, response included (10 s).
	Timeout time.Duration
	// MaxRetries is how many times one alert is retried after a 5xx or a
	// network error before the sink gives up on it (3); negative means never.
	// Retries wait 500 ms, 1 s, 2 s, ... between attempts.
	MaxRetries int
	// MaxRateLimited is how many 429 answers one alert may get, each waited
	// out as Discord asks, before the sink gives up on it (5).
	MaxRateLimited int
	// QueueSize is how many alerts may wait while one is being sent (64). When
	// the queue is full the oldest waiting alert is dropped and counted: a
	// stale listing is worth less to a trader than a fresh one.
	QueueSize int
	// DrainTimeout bounds, after the input closes, how long the alerts still
	// queued may take in all (5 s); what is left then is abandoned and counted.
	DrainTimeout time.Duration

	// after returns a channel that receives once d has passed; nil means
	// time.After. Tests inject it to record the waits without waiting.
	after func(d time.Duration) <-chan time.Time
}

// DiscordStats is a snapshot of the Discord sink's counters, which only grow.
type DiscordStats struct {
	Sent        uint64 // alerts Discord accepted
	Failed      uint64 // alerts given up on: retries exhausted, or refused (4xx)
	Retries     uint64 // attempts repeated after a 5xx or a network error
	RateLimited uint64 // 429 answers, each waited out
	Dropped     uint64 // alerts dropped because the sink's queue was full
	Abandoned   uint64 // alerts still unsent when the drain timed out or ctx ended
}

// Discord is the sink that posts every match to a Discord webhook as one embed.
//
// It reads its input as fast as it arrives into a bounded queue of its own and
// sends from there one alert at a time, so it never blocks its producer. All
// its work runs on Run's goroutine except the HTTP round trip of the one
// request in flight, which runs on a goroutine Run starts and awaits.
type Discord struct {
	cfg      DiscordConfig
	client   *http.Client
	ownsHTTP bool // client is ours: close its idle connections when Run returns
	log      *slog.Logger
	url      string            // WebhookURL, pinned to a versioned API (discordVersioned)
	redact   *strings.Replacer // hides the webhook URL and its token in any text

	sent, failed, retries, rateLimited, dropped, abandoned atomic.Uint64
}

// Defaults for DiscordConfig.
const (
	discordTimeout        = 10 * time.Second
	discordMaxRetries     = 3
	discordMaxRateLimited = 5
	discordQueueSize      = 64
	discordDrainTimeout   = 5 * time.Second
	discordRetryInitial   = 500 * time.Millisecond
	discordRetryMax       = 30 * time.Second
	// discordMaxWait caps what a rate-limit answer can make the sink wait, so
	// that a garbled value cannot overflow or stall the sink for days.
	discordMaxWait = time.Hour
	// discordMaxBody is how much of a response body is read.
	discordMaxBody = 64 << 10
)

// discordWebhookHint tells the user which setting to fix when the webhook is wrong.
const discordWebhookHint = "check -discord-webhook (ROLL_DISCORD_WEBHOOK): the webhook was deleted, or the URL is wrong"

// NewDiscord returns a Discord sink for cfg that logs to log. It starts nothing:
// call Run.
func NewDiscord(cfg DiscordConfig, log *slog.Logger) *Discord {
	if cfg.Timeout <= 0 {
		cfg.Timeout = discordTimeout
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = discordMaxRetries
	}
	cfg.MaxRetries = max(cfg.MaxRetries, 0)
	if cfg.MaxRateLimited <= 0 {
		cfg.MaxRateLimited = discordMaxRateLimited
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = discordQueueSize
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = discordDrainTimeout
	}
	if cfg.after == nil {
		cfg.after = time.After
	}
	d := &Discord{cfg: cfg, client: cfg.HTTPClient, log: log, url: discordVersioned(cfg.WebhookURL)}
	d.redact = discordRedactor(cfg.WebhookURL, d.url)
	if d.client == nil {
		d.client = &http.Client{Timeout: cfg.Timeout, Transport: http.DefaultTransport.(*http.Transport).Clone()}
		d.ownsHTTP = true
	}
	return d
}

// discordVersioned returns raw with a Discord webhook's path pinned to API
// v10. The URL Discord hands out (https://discord.com/api/webhooks/<id>/<token>)
// is unversioned, and the unversioned API answers a 429 in milliseconds where
// v10, and this sink, count seconds. Any other URL is returned as it is.
func discordVersioned(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || !strings.HasPrefix(u.Path, "/api/webhooks/") {
		return raw
	}
	switch u.Host {
	case "discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com":
		u.Path = "/api/v10/webhooks/" + strings.TrimPrefix(u.Path, "/api/webhooks/")
		u.RawPath = ""
		return u.String()
	}
	return raw
}

// discordRedactor returns a replacer that hides each of the URLs, their paths
// and their last path segment (the token), longest first.
func discordRedactor(urls ...string) *strings.Replacer {
	var secrets []string
	add := func(s, with string) {
		if strings.Trim(s, "/") != "" && !slices.Contains(secrets, s) {
			secrets = append(secrets, s, with)
		}
	}
	for _, raw := range urls {
		add(raw, "<webhook>")
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		add(u.String(), "<webhook>")
		add(u.EscapedPath(), "<webhook path>")
		add(u.Path, "<webhook path>")
		token := u.Path[strings.LastIndexByte(u.Path, '/')+1:]
		add(token, "<token>")
		add(url.PathEscape(token), "<token>")
	}
	return strings.NewReplacer(secrets...)
}

// ValidateDiscordWebhook reports whether raw can be a webhook URL: an http or
// https URL with a host and a path. The error never contains raw.
func ValidateDiscordWebhook(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return errors.New("the Discord webhook is not an https URL: copy it from the channel's Integrations → Webhooks → Copy Webhook URL")
	case strings.Trim(u.Path, "/") == "":
		return errors.New("the Discord webhook URL has no path: it should look like https://discord.com/api/webhooks/<id>/<token>")
	}
	return nil
}

// Stats returns the sink's counters. It is safe to call while Run runs.
func (d *Discord) Stats() DiscordStats {
	return DiscordStats{
		Sent: d.sent.Load(), Failed: d.failed.Load(), Retries: d.retries.Load(),
		RateLimited: d.rateLimited.Load(), Dropped: d.dropped.Load(), Abandoned: d.abandoned.Load(),
	}
}

// discordAlert is the alert being sent: the match's request body and what its
// attempts so far have cost.
type discordAlert struct {
	active  bool
	body    []byte
	tradeID string
	limited int     // 429 answers so far
	backoff Backoff // the 5xx and network-error retry schedule
}

// discordResult is what one request came back with.
type discordResult struct {
	status int
	header http.Header
	body   []byte
	err    error // a redacted network error; nil when a response came
}

// Run posts every match from in to the webhook, one request at a time, in the
// order received, and returns nil once in is closed and every match taken from
// it was sent or given up on, or when DrainTimeout has passed since in closed
// (what is left then is abandoned). It returns ctx.Err() when ctx ends first,
// aborting the request in flight, and an error at once if WebhookURL cannot be
// a webhook. No goroutine Run starts outlives it. Run must be called once.
func (d *Discord) Run(ctx context.Context, in <-chan messages.Match) error {
	if err := ValidateDiscordWebhook(d.cfg.WebhookURL); err != nil {
		return err
	}
	if d.ownsHTTP {
		defer d.client.CloseIdleConnections()
	}
	r := discordRun{d: d, queue: make([]messages.Match, d.cfg.QueueSize), results: make(chan discordResult, 1)}
	return r.run(ctx, in)
}

// discordRun is the state of one Run, touched only by Run's goroutine.
type discordRun struct {
	d *Discord

	// queue is a ring of the matches waiting to be sent: head is the oldest, n
	// how many there are.
	queue   []messages.Match
	head, n int

	cur      discordAlert
	results  chan discordResult // the request in flight answers here
	inFlight bool
	cancel   context.CancelFunc // aborts the request in flight
	wait     <-chan time.Time   // non-nil while the next request must wait

	failKind   string // what the current streak of failures is, "" when none
	failStreak uint64
	dropStreak uint64
}

func (r *discordRun) run(ctx context.Context, in <-chan messages.Match) error {
	var drain <-chan time.Time
	for {
		if !r.inFlight && r.wait == nil && (r.cur.active || r.n > 0) {
			r.start(ctx)
		}
		if in == nil && !r.cur.active && r.n == 0 {
			return nil
		}
		select {
		case m, ok := <-in:
			if !ok {
				in = nil
				drain = r.d.cfg.after(r.d.cfg.DrainTimeout)
				continue
			}
			r.enqueue(ctx, m)
		case res := <-r.inFlightResults():
			r.inFlight = false
			r.cancel()
			if ctx.Err() != nil {
				return r.abandon(ctx.Err())
			}
			r.settle(ctx, res)
		case <-r.wait:
			r.wait = nil
		case <-drain:
			r.d.log.WarnContext(ctx, "discord drain timed out: alerts abandoned",
				slog.Uint64("abandoned", r.pending()), slog.Duration("drain_timeout", r.d.cfg.DrainTimeout))
			return r.abandon(nil)
		case <-ctx.Done():
			return r.abandon(ctx.Err())
		}
	}
}

// inFlightResults is the channel the request in flight answers on, or nil.
func (r *discordRun) inFlightResults() <-chan discordResult {
	if !r.inFlight {
		return nil
	}
	return r.results
}

// pending is how many alerts are not yet sent or given up on.
func (r *discordRun) pending() uint64 {
	n := uint64(r.n)
	if r.cur.active {
		n++
	}
	return n
}

// abandon aborts the request in flight, waits for it, counts every alert not
// yet sent as abandoned and returns err.
func (r *discordRun) abandon(err error) error {
	if r.inFlight {
		r.cancel()
		<-r.results
		r.inFlight = false
	}
	r.d.abandoned.Add(r.pending())
	r.cur.active, r.n = false, 0
	return err
}

// enqueue adds m to the queue, dropping the oldest waiting match when it is full.
func (r *discordRun) enqueue(ctx context.Context, m messages.Match) {
	if r.n == len(r.queue) {
		r.queue[r.head] = messages.Match{}
		r.head = (r.head + 1) % len(r.queue)
		r.n--
		r.d.dropped.Add(1)
		if r.dropStreak == 0 {
			r.d.log.WarnContext(ctx, "discord alert queue full: dropping the oldest alerts",
				slog.Int("capacity", len(r.queue)), slog.Uint64("dropped_total", r.d.dropped.Load()))
		}
		r.dropStreak++
	} else if r.dropStreak > 0 {
		r.d.log.InfoContext(ctx, "discord alert queue has room again", slog.Uint64("dropped", r.dropStreak))
		r.dropStreak = 0
	}
	r.queue[(r.head+r.n)%len(r.queue)] = m
	r.n++
}

// start sends the current alert, taking the next one from the queue when there
// is none, on a goroutine that answers on r.results.
func (r *discordRun) start(ctx context.Context) {
	if !r.cur.active {
		m := r.queue[r.head]
		r.queue[r.head] = messages.Match{}
		r.head = (r.head + 1) % len(r.queue)
		r.n--
		r.cur = discordAlert{
			active:  true,
			body:    discordBody(m),
			tradeID: m.Trade.ID,
			backoff: Backoff{Initial: discordRetryInitial, Max: discordRetryMax},
		}
	}
	actx, cancel := context.WithTimeout(ctx, r.d.cfg.Timeout)
	r.cancel, r.inFlight = cancel, true
	body := r.cur.body
	go func() { r.results <- r.d.post(actx, body) }()
}

// post sends one request and returns its answer. It runs on the request's own
// goroutine and touches nothing but its arguments and the client.
func (d *Discord) post(ctx context.Context, body []byte) discordResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return discordResult{err: d.scrub(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return discordResult{err: d.scrub(err)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, discordMaxBody)) // a cut-short body still has its status
	return discordResult{status: resp.StatusCode, header: resp.Header, body: b}
}

// scrub returns err without the webhook URL: net/http's *url.Error names the
// whole URL, token included, so it is unwrapped, and whatever text is left is
// redacted too.
func (d *Discord) scrub(err error) error {
	for {
		var ue *url.Error
		if !errors.As(err, &ue) {
			break
		}
		err = ue.Err
	}
	return errors.New(d.redact.Replace(err.Error()))
}

// settle handles the answer to the current alert's request: the alert is sent,
// waits and is retried, or is given up on.
func (r *discordRun) settle(ctx context.Context, res discordResult) {
	d := r.d
	switch {
	case res.err == nil && res.status >= 200 && res.status < 300:
		d.sent.Add(1)
		r.cur.active = false
		if r.failKind != "" {
			d.log.InfoContext(ctx, "discord alerts delivered again", slog.Uint64("failed", r.failStreak))
			r.failKind, r.failStreak = "", 0
		}
		if res.header.Get("X-RateLimit-Remaining") == "0" {
			if wait, ok := discordSeconds(res.header.Get("X-RateLimit-Reset-After")); ok && wait > 0 {
				r.pause(ctx, wait, "rate limit bucket empty")
			}
		}
	case res.err == nil && res.status == http.StatusTooManyRequests:
		d.rateLimited.Add(1)
		r.cur.limited++
		wait, global := discordRetryAfter(res.header, res.body)
		if r.cur.limited > d.cfg.MaxRateLimited {
			r.giveUp(ctx, "rate limited", slog.Int("status", res.status), slog.Int("answers", r.cur.limited))
			return
		}
		r.pause(ctx, wait, "rate limited", slog.Bool("global", global))
	case res.err != nil || res.status >= 500:
		if r.cur.backoff.Attempt() >= d.cfg.MaxRetries {
			r.giveUp(ctx, "unavailable", discordCause(res), slog.Int("attempts", r.cur.backoff.Attempt()+1))
			return
		}
		d.retries.Add(1)
		r.pause(ctx, r.cur.backoff.Next(), "unavailable", discordCause(res))
	case res.status == http.StatusUnauthorized || res.status == http.StatusForbidden || res.status == http.StatusNotFound:
		r.giveUp(ctx, "rejected", slog.Int("status", res.status), slog.String("hint", discordWebhookHint))
	default:
		r.giveUp(ctx, "refused", slog.Int("status", res.status), slog.String("discord", d.redact.Replace(discordMessage(res.body))))
	}
}

// pause makes the next request wait d, and says why at debug level.
func (r *discordRun) pause(ctx context.Context, d time.Duration, why string, attrs ...slog.Attr) {
	attrs = append(attrs, slog.Duration("delay", d), slog.String("why", why), slog.String("trade", r.cur.tradeID))
	r.d.log.LogAttrs(ctx, slog.LevelDebug, "discord wait", attrs...)
	r.wait = r.d.cfg.after(d)
}

// giveUp counts the current alert as failed and logs the first failure of a
// streak of one kind: a dead webhook cannot flood the log.
func (r *discordRun) giveUp(ctx context.Context, kind string, attrs ...slog.Attr) {
	r.d.failed.Add(1)
	r.cur.active = false
	r.failStreak++
	if r.failKind == kind {
		return
	}
	r.failKind = kind
	level, msg := slog.LevelWarn, "discord alert not sent: "+kind
	if kind == "rejected" || kind == "refused" {
		level = slog.LevelError
	}
	attrs = append(attrs, slog.String("trade", r.cur.tradeID))
	r.d.log.LogAttrs(ctx, level, msg, attrs...)
}

// discordCause describes why a request failed transiently.
func discordCause(res discordResult) slog.Attr {
	if res.err != nil {
		return tint.Err(res.err)
	}
	return slog.Int("status", res.status)
}

// discordRetryAfter returns how long a 429 answer asks the sink to wait and
// whether the limit is global: the body's retry_after (seconds, a float)
// first, then the X-RateLimit-Reset-After and Retry-After headers, else 1 s.
func discordRetryAfter(h http.Header, body []byte) (wait time.Duration, global bool) {
	var rl struct {
		RetryAfter *float64 `json:"retry_after"`
		Global     bool     `json:"global"`
	}
	if json.Unmarshal(body, &rl) == nil && rl.RetryAfter != nil {
		if d, ok := discordDuration(*rl.RetryAfter); ok {
			return d, rl.Global
		}
	}
	global = rl.Global || h.Get("X-RateLimit-Global") == "true"
	for _, key := range []string{"X-RateLimit-Reset-After", "Retry-After"} {
		if d, ok := discordSeconds(h.Get(key)); ok {
			return d, global
		}
	}
	return time.Second, global
}

// discordSeconds parses a header's seconds, e.g. "0.25".
func discordSeconds(s string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, false
	}
	return discordDuration(f)
}

// discordDuration turns seconds into a duration, rounded up so that the wait
// is at least what was asked, and capped at discordMaxWait.
func discordDuration(sec float64) (time.Duration, bool) {
	if math.IsNaN(sec) || sec < 0 {
		return 0, false
	}
	if sec >= discordMaxWait.Seconds() {
		return discordMaxWait, true
	}
	return time.Duration(math.Ceil(sec * float64(time.Second))), true
}

// discordMessage returns the message of a Discord error body, with its code,
// or the start of the body when it is not one.
func discordMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return truncateUTF16(fmt.Sprintf("%s (code %d)", e.Message, e.Code), 200)
	}
	return truncateUTF16(strings.ToValidUTF8(string(body), "\uFFFD"), 200)
}

// The embed: Discord's documented limits and the look of an alert.
const (
	discordUsername    = "rollsniper"
	discordColor       = 0x57F287 // Discord's green
	discordTitleMax    = 256
	discordFieldMax    = 1024
	discordMissing     = "—" // a field value may not be empty
	discordTimeFormat  = "2006-01-02T15:04:05.000Z07:00"
	discordUnknownTime = "unknown"
)

type discordPayload struct {
	Username string         `json:"username"`
	Embeds   []discordEmbed `json:"embeds"`
}

type discordEmbed struct {
	Title     string         `json:"title"`
	Color     int            `json:"color"`
	Fields    []discordField `json:"fields"`
	Timestamp string         `json:"timestamp,omitempty"`
}

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

// discordBody returns the webhook request body for m: one embed titled with the
// item, its fields the wear, price, markup, time to decision, the whitelist
// entry and the trade id.
func discordBody(m messages.Match) []byte {
	field := func(name, value string, inline bool) discordField {
		if value == "" {
			value = discordMissing
		}
		return discordField{Name: name, Value: truncateUTF16(value, discordFieldMax), Inline: inline}
	}
	title := m.Trade.MarketName
	if title == "" {
		title = "Whitelist match"
	}
	e := discordEmbed{
		Title: truncateUTF16(title, discordTitleMax),
		Color: discordColor,
		Fields: []discordField{
			field("Wear", string(m.Trade.Wear), true),
			field("Price", strconv.FormatFloat(m.Trade.TotalValue, 'f', 2, 64)+" coins", true),
			field("Markup", strconv.FormatFloat(m.Trade.MarkupPercent, 'f', 2, 64)+"%", true),
			field("Decision", discordLatency(m), true),
			field("Entry", m.Entry, false),
			field("Trade", m.Trade.ID, true),
		},
	}
	if !m.DecidedAt.IsZero() {
		e.Timestamp = m.DecidedAt.UTC().Format(discordTimeFormat)
	}
	b, err := json.Marshal(discordPayload{Username: discordUsername, Embeds: []discordEmbed{e}})
	if err != nil {
		panic("actors: marshal a Discord payload: " + err.Error()) // strings, ints and bools always marshal
	}
	return b
}

// discordLatency formats the time from receipt to decision with a unit a
// reader takes in at a glance: "850 ns", "3.2 µs", "1.5 ms", "2.10 s".
func discordLatency(m messages.Match) string {
	if m.DecidedAt.IsZero() || m.Trade.ReceivedAt.IsZero() {
		return discordUnknownTime
	}
	d := m.Latency()
	switch {
	case d < 0:
		return discordUnknownTime
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + " ns"
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 1, 64) + " µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
	default:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
	}
}

// truncateUTF16 cuts s to at most limit UTF-16 code units, the unit Discord's
// JavaScript-side limits count in (a rune-count limit is then met too), ending
// a cut text with "…".
func truncateUTF16(s string, limit int) string {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	if n <= limit {
		return s
	}
	n = 0
	for i, r := range s {
		n += utf16.RuneLen(r)
		if n > limit-1 { // leave room for the ellipsis, one code unit
			return s[:i] + "…"
		}
	}
	return s
}
