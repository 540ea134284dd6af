package gqlws

// This file holds the rules for how a session ends: which answers are fatal
// (the user must change a setting), which are retried, which ask the client to
// slow down, and what delay a server hints at. The connection actor applies
// them; nothing here does I/O.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The reasons a session ends and the client reconnects: a fixed set, whatever
// the server sends, so each is safe as a metric label and as a log's "kind".
const (
	ReasonDial              = "dial"               // no HTTP answer: DNS, TCP, TLS, timeout
	ReasonHTTP403           = "http_403"           // upgrade forbidden (Cloudflare or the session)
	ReasonHTTP429           = "http_429"           // upgrade refused: too many requests
	ReasonHTTP503           = "http_503"           // upgrade refused: unavailable
	ReasonHTTP5xx           = "http_5xx"           // upgrade refused with another 5xx
	ReasonHTTPOther         = "http_other"         // upgrade refused with another status
	ReasonDropped           = "dropped"            // connection lost without a close frame
	ReasonClosed            = "closed"             // server closed normally (1000) or is going away (1001)
	ReasonCloseSlowDown     = "close_slow_down"    // server closed with 4429 or 1013: slow down
	ReasonCloseError        = "close_error"        // server closed with another retryable code
	ReasonHalfOpen          = "half_open"          // no frame for the ping interval plus timeout
	ReasonStale             = "stale"              // subscribed, but no trade for a long while
	ReasonAckTimeout        = "ack_timeout"        // no connection_ack in time
	ReasonReadLimit         = "read_limit"         // a frame larger than the read limit
	ReasonSubscriptionEnded = "subscription_ended" // server sent complete or error for our subscription
	ReasonWriteFailed       = "write_failed"       // a protocol message could not be sent
	ReasonProtocolError     = "protocol_error"     // the server answered without graphql-transport-ws
)

// reasons lists every reason, in a fixed order (see ReasonIndex).
var reasons = [...]string{
	ReasonDial, ReasonHTTP403, ReasonHTTP429, ReasonHTTP503, ReasonHTTP5xx, ReasonHTTPOther,
	ReasonDropped, ReasonClosed, ReasonCloseSlowDown, ReasonCloseError, ReasonHalfOpen,
	ReasonStale, ReasonAckTimeout, ReasonReadLimit, ReasonSubscriptionEnded, ReasonWriteFailed,
	ReasonProtocolError,
}

// NumReasons is how many reasons there are, for arrays of counters.
const NumReasons = len(reasons)

// Reasons returns every reason, for a metric to declare them all up front.
func Reasons() []string { return slices.Clone(reasons[:]) }

// ReasonIndex is reason's position in Reasons. An unknown reason (a bug)
// counts as ReasonDropped rather than inventing a label.
func ReasonIndex(reason string) int {
	if i := slices.Index(reasons[:], reason); i >= 0 {
		return i
	}
	return slices.Index(reasons[:], ReasonDropped)
}

// FatalError is an answer from the server that retrying cannot fix: the user
// has to change a setting. Fix says which and how.
type FatalError struct {
	Err error
	Fix string
}

func (e *FatalError) Error() string { return e.Err.Error() + ": " + e.Fix }
func (e *FatalError) Unwrap() error { return e.Err }

// RetryError is a retryable end of a session: why, and what it means for the
// wait before the next one.
type RetryError struct {
	Err    error
	Reason string // one of the Reason constants
	// RetryAfter is the least the server asked the client to wait, and
	// AskedBy where that figure came from, for the log.
	RetryAfter time.Duration
	AskedBy    string
	// SlowDown: the server asked the client to connect less often. The
	// backoff is then never reset by the session before.
	SlowDown bool

	// Problem says what went wrong in plain words, when Err's text is not
	// plain enough (a dial's library error); "" uses Err's text.
	Problem string
	// Advice is what to check, "" when nothing on our side can help.
	Advice string
	// Setting is the setting to check when the same refusal keeps coming
	// (SettingURL, SettingSubscription), "" when none is suspect.
	Setting string
	// Said is what the server said about it (ServerWords), "" for nothing.
	Said string
}

// Retry is a retryable end of a session, for reason.
func Retry(reason string, err error) *RetryError {
	return &RetryError{Err: err, Reason: reason}
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// SlowDownFactor sets the least wait after a slow-down that names no delay:
// this many times the first backoff delay (10 s with the defaults).
const SlowDownFactor = 10

// MaxServerDelay caps how long a server's hint can make the client wait, so a
// wrong or hostile hint cannot stop the feed for days.
const MaxServerDelay = time.Hour

// Floor is the least wait after e, and where that figure comes from: what the
// server asked, or for a slow-down that named no delay SlowDownFactor ×
// initial, capped at MaxServerDelay. It is 0 when e asks for no wait.
func (e *RetryError) Floor(initial time.Duration) (time.Duration, string) {
	floor, asked := e.RetryAfter, e.AskedBy
	if e.SlowDown && floor <= 0 {
		floor, asked = SlowDownFactor*initial, fmt.Sprintf("slow-down floor (%d × -backoff-initial)", SlowDownFactor)
	}
	if floor > MaxServerDelay {
		floor, asked = MaxServerDelay, asked+fmt.Sprintf(", capped at %v", MaxServerDelay)
	}
	return floor, asked
}

// The fixes a FatalError names.
const (
	fixSession  = "the session was rejected: copy a fresh \"session\" cookie from your browser into ROLL_SESSION (or -session)"
	fixProtocol = "the feed no longer accepts this client's protocol: check -url (ROLL_WS_URL) and -subscription (ROLL_SUBSCRIPTION)"
)

// ClassifyUpgrade says what a refused upgrade means: status is the HTTP answer,
// header its headers, body what the library kept of its body, now the time a
// Retry-After date is measured from. 401 is fatal; every other status is
// retried, 429 as a slow-down, and a Retry-After header is honoured. 400, 404,
// 405 and 410 mean the URL is likely wrong: they name -url. A 101 is an
// upgrade that did not give the feed's subprotocol: a protocol error.
func ClassifyUpgrade(status int, header http.Header, body []byte, now time.Time) error {
	if status == http.StatusSwitchingProtocols {
		return WrongSubprotocol(header.Get("Sec-WebSocket-Protocol"))
	}
	err := fmt.Errorf("upgrade refused with HTTP %d %s", status, http.StatusText(status))
	re := &RetryError{Err: err, Reason: ReasonHTTPOther, Said: ServerWords(body)}
	switch {
	case status == http.StatusUnauthorized:
		return &FatalError{Err: err, Fix: fixSession}
	case status == http.StatusForbidden:
		re.Reason = ReasonHTTP403
		re.Advice = "often Cloudflare rather than the session: check ROLL_SESSION (-session), and whether Cloudflare cookies are needed"
	case status == http.StatusTooManyRequests:
		re.Reason, re.SlowDown = ReasonHTTP429, true
	case status == http.StatusServiceUnavailable:
		re.Reason = ReasonHTTP503
	case status >= 500 && status <= 599:
		re.Reason = ReasonHTTP5xx
	case status == http.StatusBadRequest, status == http.StatusNotFound, status == http.StatusMethodNotAllowed, status == http.StatusGone:
		re.Setting = SettingURL
	}
	if d := RetryAfter(header.Get("Retry-After"), now); d > 0 {
		re.RetryAfter, re.AskedBy = d, fmt.Sprintf("Retry-After of HTTP %d", status)
	}
	return re
}

// WrongSubprotocol is the end of a session whose upgrade succeeded (HTTP 101)
// without the feed's subprotocol: the server speaks another protocol (got,
// "" for none), so the URL is likely wrong.
func WrongSubprotocol(got string) *RetryError {
	what := "no subprotocol"
	if got != "" {
		what = fmt.Sprintf("subprotocol %q", got)
	}
	return &RetryError{Reason: ReasonProtocolError, Setting: SettingURL,
		Err: fmt.Errorf("protocol error: the upgrade succeeded (HTTP 101) with %s, not %s: the server speaks another protocol", what, Subprotocol)}
}

// SubscriptionRejected is the end of a session whose subscribe the server
// answered with an error message, frame.
func SubscriptionRejected(frame []byte) *RetryError {
	msg := ErrorMessage(frame)
	return &RetryError{Reason: ReasonSubscriptionEnded, Setting: SettingSubscription,
		Err: fmt.Errorf("server rejected the subscription: %s", msg)}
}

// RetryAfter reads a Retry-After header: seconds or an HTTP date. It returns 0
// when v names no wait.
func RetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// WebSocket close codes the rules below name, beside the protocol's own.
const (
	closeNormal        = 1000
	closeGoingAway     = 1001
	closeTryAgainLater = 1013
)

// Classify says what a close frame from the server means: a *FatalError for
// the codes that mean the session or the protocol was rejected, otherwise a
// *RetryError (4429 and 1013 as a slow-down, honouring a delay named in the
// reason). 4409 (a subscriber for the id already exists) cannot come from a
// fresh socket's one subscription: it is retried like any server error.
func Classify(code int, reason string) error {
	closed := fmt.Errorf("server closed the connection with %d %s", code, quoteReason(reason))
	switch code {
	case CloseUnauthorized, CloseForbidden:
		return &FatalError{Err: closed, Fix: fixSession}
	case CloseBadRequest, CloseSubprotocolNotAcceptable:
		return &FatalError{Err: closed, Fix: fixProtocol}
	case closeNormal, closeGoingAway:
		return Retry(ReasonClosed, closed)
	case CloseTooManyInitialisationReqs, closeTryAgainLater:
		re := &RetryError{Err: closed, Reason: ReasonCloseSlowDown, SlowDown: true}
		if d := ReasonDelay(reason); d > 0 {
			re.RetryAfter, re.AskedBy = d, fmt.Sprintf("delay in the %d close reason", code)
		}
		return re
	}
	return Retry(ReasonCloseError, closed)
}

// ReasonDelay reads a delay out of a close reason: a Go duration ("30s",
// "1m30s") anywhere in it, or a number of seconds after "after" (or
// "retry-after") or "in", or before "s", "sec" or "seconds" ("retry after 30",
// "try again in 30 seconds"). It returns 0 when the reason names none.
func ReasonDelay(reason string) time.Duration {
	words := strings.FieldsFunc(strings.ToLower(reason), func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r == '.' || r == '-' || r == 'µ')
	})
	for i, w := range words {
		if d, err := time.ParseDuration(w); err == nil && d > 0 {
			return d
		}
		secs, err := strconv.ParseFloat(w, 64)
		if err != nil || secs <= 0 || secs > MaxServerDelay.Seconds() {
			continue
		}
		before := i > 0 && (strings.HasSuffix(words[i-1], "after") || words[i-1] == "in")
		after := i+1 < len(words) && slices.Contains([]string{"s", "sec", "secs", "second", "seconds"}, words[i+1])
		if before || after {
			return time.Duration(secs * float64(time.Second))
		}
	}
	return 0
}

// MaxReasonLen bounds how much of a server-supplied reason or message goes
// into an error.
const MaxReasonLen = 200

// quoteReason renders a close frame's reason for a log line, quoted and short.
func quoteReason(reason string) string {
	if reason == "" {
		return "(no reason given)"
	}
	return strconv.Quote(Truncate(reason, MaxReasonLen))
}

// Truncate shortens s to at most n bytes (and a marker), on a rune boundary.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ErrorMessage renders an error message's payload for a log line, short
// whatever the server sent.
func ErrorMessage(frame []byte) string {
	var msg struct {
		Payload []GraphQLError `json:"payload"`
	}
	if json.Unmarshal(frame, &msg) != nil || len(msg.Payload) == 0 {
		return "no reason given"
	}
	reason := Truncate(msg.Payload[0].Message, MaxReasonLen)
	if len(msg.Payload) > 1 {
		reason += fmt.Sprintf(" (and %d more)", len(msg.Payload)-1)
	}
	return reason
}
