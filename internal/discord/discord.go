package discord

// This file holds the webhook request, its answers and the rules for each,
// and the alert's embed. The actor (actors.Discord) keeps the queue, the
// retries' schedule and the goroutine a request runs on.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/rollsniper/rollsniper/messages"
)

// Versioned returns raw with a Discord webhook's path pinned to API
// v10. The URL Discord hands out (https://discord.com/api/webhooks/<id>/<token>)
// is unversioned, and the unversioned API answers a 429 in milliseconds where
// v10, and this sink, count seconds. Any other URL is returned as it is.
func Versioned(raw string) string {
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

// redactor returns a replacer that hides each of the URLs, their paths
// and their last path segment (the token), longest first.
func redactor(urls ...string) *strings.Replacer {
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

// Validate reports whether raw can be a webhook URL: an http or
// https URL with a host and a path. The error never contains raw.
func Validate(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return errors.New("the Discord webhook is not an https URL: copy it from the channel's Integrations → Webhooks → Copy Webhook URL")
	case strings.Trim(u.Path, "/") == "":
		return errors.New("the Discord webhook URL has no path: it should look like https://discord.com/api/webhooks/<id>/<token>")
	}
	return nil
}

// RetryAfter returns how long a 429 answer asks the sink to wait and
// whether the limit is global: the body's retry_after (seconds, a float)
// first, then the X-RateLimit-Reset-After and Retry-After headers, else 1 s.
func RetryAfter(h http.Header, body []byte) (wait time.Duration, global bool) {
	var rl struct {
		RetryAfter *float64 `json:"retry_after"`
		Global     bool     `json:"global"`
	}
	if json.Unmarshal(body, &rl) == nil && rl.RetryAfter != nil {
		if d, ok := duration(*rl.RetryAfter); ok {
			return d, rl.Global
		}
	}
	global = rl.Global || h.Get("X-RateLimit-Global") == "true"
	for _, key := range []string{"X-RateLimit-Reset-After", "Retry-After"} {
		if d, ok := seconds(h.Get(key)); ok {
			return d, global
		}
	}
	return time.Second, global
}

// seconds parses a header's seconds, e.g. "0.25".
func seconds(s string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, false
	}
	return duration(f)
}

// duration turns seconds into a duration, rounded up so that the wait
// is at least what was asked, and capped at MaxWait.
func duration(sec float64) (time.Duration, bool) {
	if math.IsNaN(sec) || sec < 0 {
		return 0, false
	}
	if sec >= MaxWait.Seconds() {
		return MaxWait, true
	}
	return time.Duration(math.Ceil(sec * float64(time.Second))), true
}

// Message returns the message of a Discord error body, with its code,
// or the start of the body when it is not one.
func Message(body []byte) string {
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
// How much of an answer's body is read, and the longest wait an answer can
// ask for: a garbled value cannot overflow or stall the sink for days.
const (
	maxBody = 64 << 10
	MaxWait = time.Hour
)

const (
	username    = "rollsniper"
	color       = 0x57F287 // Discord's green
	titleMax    = 256
	fieldMax    = 1024
	missing     = "—" // a field value may not be empty
	timeFormat  = "2006-01-02T15:04:05.000Z07:00"
	unknownTime = "unknown"
)

type payload struct {
	Username string  `json:"username"`
	Embeds   []embed `json:"embeds"`
}

type embed struct {
	Title     string  `json:"title"`
	Color     int     `json:"color"`
	Fields    []field `json:"fields"`
	Timestamp string  `json:"timestamp,omitempty"`
}

type field struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

// Body returns the webhook request body for m: one embed titled with the
// item, its fields the wear, price, markup, time to decision, the whitelist
// entry and the trade id.
func Body(m messages.Match) []byte {
	mk := func(name, value string, inline bool) field {
		if value == "" {
			value = missing
		}
		return field{Name: name, Value: truncateUTF16(value, fieldMax), Inline: inline}
	}
	title := m.Trade.MarketName
	if title == "" {
		title = "Whitelist match"
	}
	e := embed{
		Title: truncateUTF16(title, titleMax),
		Color: color,
		Fields: []field{
			mk("Wear", string(m.Trade.Wear), true),
			mk("Price", strconv.FormatFloat(m.Trade.TotalValue, 'f', 2, 64)+" coins", true),
			mk("Markup", strconv.FormatFloat(m.Trade.MarkupPercent, 'f', 2, 64)+"%", true),
			mk("Decision", latency(m), true),
			mk("Entry", m.Entry, false),
			mk("Trade", m.Trade.ID, true),
		},
	}
	if !m.DecidedAt.IsZero() {
		e.Timestamp = m.DecidedAt.UTC().Format(timeFormat)
	}
	b, err := json.Marshal(payload{Username: username, Embeds: []embed{e}})
	if err != nil {
		panic("discord: marshal a payload: " + err.Error()) // strings, ints and bools always marshal
	}
	return b
}

// latency formats the time from receipt to decision with a unit a
// reader takes in at a glance: "850 ns", "3.2 µs", "1.5 ms", "2.10 s".
func latency(m messages.Match) string {
	if m.DecidedAt.IsZero() || m.Trade.ReceivedAt.IsZero() {
		return unknownTime
	}
	d := m.Latency()
	switch {
	case d < 0:
		return unknownTime
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

// Client posts to one webhook. Its URL holds the webhook's token: the Client
// never puts it in an error, and Redact hides it in any other text.
type Client struct {
	http   *http.Client
	url    string            // the webhook, pinned to a versioned API (Versioned)
	redact *strings.Replacer // hides the webhook URL and its token
}

// NewClient returns a client that posts to webhookURL with hc.
func NewClient(webhookURL string, hc *http.Client) *Client {
	u := Versioned(webhookURL)
	return &Client{http: hc, url: u, redact: redactor(webhookURL, u)}
}

// Redact returns s with the webhook URL, its path and its token hidden.
func (c *Client) Redact(s string) string { return c.redact.Replace(s) }

// Result is what one request came back with.
type Result struct {
	Status int
	Header http.Header
	Body   []byte // at most maxBody bytes of it
	Err    error  // a network error, redacted; nil when a response came
}

// Post sends one alert's body and returns the answer. It blocks until the
// answer or ctx's end; the caller runs it where it can afford to wait.
func (c *Client) Post(ctx context.Context, body []byte) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return Result{Err: c.scrub(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return Result{Err: c.scrub(err)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody)) // a cut-short body still has its status
	return Result{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// scrub returns err without the webhook URL: net/http's *url.Error names the
// whole URL, token included, so it is unwrapped, and whatever text is left is
// redacted too.
func (c *Client) scrub(err error) error {
	for {
		var ue *url.Error
		if !errors.As(err, &ue) {
			break
		}
		err = ue.Err
	}
	return errors.New(c.Redact(err.Error()))
}

// Outcome is what an answer means for the alert it answers.
type Outcome int

const (
	// Sent: Discord accepted the alert. Verdict.Wait, when not zero, is how
	// long the next request must wait for the rate-limit bucket to refill.
	Sent Outcome = iota
	// RateLimited: a 429; retry the same alert after Verdict.Wait.
	RateLimited
	// Unavailable: a 5xx or a network error; retry after a backoff.
	Unavailable
	// Rejected: 401, 403 or 404: the webhook was deleted or its URL is wrong
	// (WebhookHint). Retrying cannot help.
	Rejected
	// Refused: any other status; Discord will not take this alert.
	Refused
)

// Verdict is an answer's meaning.
type Verdict struct {
	Outcome Outcome
	// Wait is how long the next request must wait (Sent with an empty
	// bucket, RateLimited), capped at MaxWait.
	Wait time.Duration
	// Global: the rate limit is the whole application's, not the webhook's.
	Global bool
}

// WebhookHint tells the user which setting to fix when the webhook is wrong.
const WebhookHint = "check -discord-webhook (ROLL_DISCORD_WEBHOOK): the webhook was deleted, or the URL is wrong"

// Judge says what r means, by Discord's documented rules: a 2xx is sent (and
// an empty bucket, X-RateLimit-Remaining 0, asks to wait X-RateLimit-Reset-After);
// a 429 waits what it asks (RetryAfter); 5xx and network errors are transient;
// 401, 403 and 404 mean the webhook is gone; anything else is refused.
func Judge(r Result) Verdict {
	switch {
	case r.Err == nil && r.Status >= 200 && r.Status < 300:
		v := Verdict{Outcome: Sent}
		if r.Header.Get("X-RateLimit-Remaining") == "0" {
			if wait, ok := seconds(r.Header.Get("X-RateLimit-Reset-After")); ok {
				v.Wait = wait
			}
		}
		return v
	case r.Err == nil && r.Status == http.StatusTooManyRequests:
		wait, global := RetryAfter(r.Header, r.Body)
		return Verdict{Outcome: RateLimited, Wait: wait, Global: global}
	case r.Err != nil || r.Status >= 500:
		return Verdict{Outcome: Unavailable}
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden || r.Status == http.StatusNotFound:
		return Verdict{Outcome: Rejected}
	}
	return Verdict{Outcome: Refused}
}
