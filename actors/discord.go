package actors

// This file holds the Discord webhook sink: it posts one embed per match to a
// Discord webhook, honouring Discord's rate limits, retrying what is
// transient, and never letting a slow or dead webhook hold up the pipeline or
// its shutdown.

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/backoff"
	"github.com/rollsniper/rollsniper/internal/discord"
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
	ownsHTTP bool            // client is ours: close its idle connections when Run returns
	webhook  *discord.Client // posts the requests; never shows the URL
	log      *slog.Logger

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
)

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
	d := &Discord{cfg: cfg, client: cfg.HTTPClient, log: log}
	if d.client == nil {
		d.client = &http.Client{Timeout: cfg.Timeout, Transport: http.DefaultTransport.(*http.Transport).Clone()}
		d.ownsHTTP = true
	}
	d.webhook = discord.NewClient(cfg.WebhookURL, d.client)
	return d
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
	limited int              // 429 answers so far
	backoff backoff.Schedule // the 5xx and network-error retry schedule
}

// Run posts every match from in to the webhook, one request at a time, in the
// order received, and returns nil once in is closed and every match taken from
// it was sent or given up on, or when DrainTimeout has passed since in closed
// (what is left then is abandoned). It returns ctx.Err() when ctx ends first,
// aborting the request in flight, and an error at once if WebhookURL cannot be
// a webhook. No goroutine Run starts outlives it. Run must be called once.
func (d *Discord) Run(ctx context.Context, in <-chan messages.Match) error {
	if err := discord.Validate(d.cfg.WebhookURL); err != nil {
		return err
	}
	if d.ownsHTTP {
		defer d.client.CloseIdleConnections()
	}
	r := discordRun{d: d, queue: make([]messages.Match, d.cfg.QueueSize), results: make(chan discord.Result, 1)}
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
	results  chan discord.Result // the request in flight answers here
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
func (r *discordRun) inFlightResults() <-chan discord.Result {
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
			body:    discord.Body(m),
			tradeID: m.Trade.ID,
			backoff: backoff.Schedule{Initial: discordRetryInitial, Max: discordRetryMax},
		}
	}
	actx, cancel := context.WithTimeout(ctx, r.d.cfg.Timeout)
	r.cancel, r.inFlight = cancel, true
	body := r.cur.body
	go func() { r.results <- r.d.webhook.Post(actx, body) }()
}

// settle acts on the answer to the current alert's request, as discord.Judge
// reads it: the alert is sent, waits and is retried, or is given up on.
func (r *discordRun) settle(ctx context.Context, res discord.Result) {
	d := r.d
	v := discord.Judge(res)
	switch v.Outcome {
	case discord.Sent:
		d.sent.Add(1)
		r.cur.active = false
		if r.failKind != "" {
			d.log.InfoContext(ctx, "discord alerts delivered again", slog.Uint64("failed", r.failStreak))
			r.failKind, r.failStreak = "", 0
		}
		if v.Wait > 0 {
			r.pause(ctx, v.Wait, "rate limit bucket empty")
		}
	case discord.RateLimited:
		d.rateLimited.Add(1)
		r.cur.limited++
		if r.cur.limited > d.cfg.MaxRateLimited {
			r.giveUp(ctx, "rate limited", slog.Int("status", res.Status), slog.Int("answers", r.cur.limited))
			return
		}
		r.pause(ctx, v.Wait, "rate limited", slog.Bool("global", v.Global))
	case discord.Unavailable:
		if r.cur.backoff.Attempt() >= d.cfg.MaxRetries {
			r.giveUp(ctx, "unavailable", discordCause(res), slog.Int("attempts", r.cur.backoff.Attempt()+1))
			return
		}
		d.retries.Add(1)
		r.pause(ctx, r.cur.backoff.Next(), "unavailable", discordCause(res))
	case discord.Rejected:
		r.giveUp(ctx, "rejected", slog.Int("status", res.Status), slog.String("hint", discord.WebhookHint))
	default:
		r.giveUp(ctx, "refused", slog.Int("status", res.Status), slog.String("discord", d.webhook.Redact(discord.Message(res.Body))))
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
func discordCause(res discord.Result) slog.Attr {
	if res.Err != nil {
		return tint.Err(res.Err)
	}
	return slog.Int("status", res.Status)
}
