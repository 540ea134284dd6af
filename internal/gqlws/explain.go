package gqlws

// This file holds how the wait before the next session is put to a person:
// what is wrong in plain words, what to check, when the next try comes, and
// how loudly to say it. The connection actor logs it; nothing here does I/O.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// The settings a RetryError's Setting names: the ones to check when the same
// refusal keeps coming.
const (
	SettingURL          = "-url (ROLL_WS_URL)"
	SettingSubscription = "-subscription (ROLL_SUBSCRIPTION)"
)

// DialFailed is the end of a session that got no HTTP answer from host: err
// is the library's error, kept as the error's text, and the problem is said
// in plain words (cannot reach host: DNS lookup failed) with what to check.
func DialFailed(host string, err error) *RetryError {
	what, advice := dialProblem(err)
	return &RetryError{Err: fmt.Errorf("dial: %w", err), Reason: ReasonDial,
		Problem: "cannot reach " + host + ": " + what, Advice: advice}
}

// dialProblem names, in words, why a dial got no answer, and what to check.
func dialProblem(err error) (what, advice string) {
	const network = "check the network"
	var dns *net.DNSError
	var certInvalid x509.CertificateInvalidError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var verification *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.As(err, &dns):
		return "DNS lookup failed", network
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", network + ", and -url (ROLL_WS_URL)"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "the network is unreachable", network
	case errors.Is(err, syscall.ECONNRESET):
		return "the connection was reset", network + ", and any proxy or firewall"
	case errors.As(err, &verification), errors.As(err, &certInvalid), errors.As(err, &unknownAuthority),
		errors.As(err, &hostname), errors.As(err, &record):
		return "the TLS handshake failed", "check the system clock, and any proxy or firewall between here and the feed"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "no answer in time", network
	}
	return "no answer", network
}

// Host returns the host of the feed's URL for a message, or the URL itself
// when it has none.
func Host(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return rawURL
}

// ServerWords renders what a server said (an HTTP body, an error message) for
// a log line: one line of printable text, short, "" when it said nothing.
func ServerWords(b []byte) string {
	valid := strings.ToValidUTF8(string(b), "\uFFFD")
	s := strings.Join(strings.FieldsFunc(valid, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }), " ")
	return Truncate(s, MaxReasonLen)
}

// Wait is a wait before the next session, as the connection actor logs it.
type Wait struct {
	Err     *RetryError   // why the last session ended
	Host    string        // the feed's host
	Delay   time.Duration // how long until the next try
	Attempt int           // failures in a row, this one included
	// EverConnected: a session has subscribed since the program started, so
	// this is a reconnect; otherwise the program has never got through.
	EverConnected bool
	// Covered: another connection is subscribed (sniper -connections), so
	// the feed is still whole and this wait loses no listing.
	Covered bool
	// DownStreak counts the failures in a row of this connection while no
	// other was subscribed: how long, in failures, the feed as a whole has
	// been down for it. Zero means Attempt (one connection: the same count).
	DownStreak int
}

// How loudly a wait is logged: at error level from the errorAfter-th failure
// in a row (from the settingErrorAfter-th when a setting may be wrong), then
// again every errorEvery failures, so that -log-level error still shows a feed
// that stays down, about every ten minutes once the backoff is at its cap.
const (
	errorAfter        = 5
	settingErrorAfter = 3
	errorEvery        = 10
)

// Level is the wait's log level: warn, or error at the errorAfter-th failure
// in a row of a feed that is down (DownStreak) and every errorEvery-th after
// it. A covered wait loses nothing and is info, except where a setting may be
// wrong: that connection may never come back, so it is a warning at the
// points an uncovered one would be an error.
func (w Wait) Level() slog.Level {
	first := errorAfter
	if w.Err.Setting != "" {
		first = settingErrorAfter
	}
	at := func(n int) bool { return n >= first && (n-first)%errorEvery == 0 }
	if w.Covered {
		if w.Err.Setting != "" && at(w.Attempt) {
			return slog.LevelWarn
		}
		return slog.LevelInfo
	}
	streak := w.DownStreak
	if streak == 0 {
		streak = w.Attempt
	}
	if at(streak) {
		return slog.LevelError
	}
	return slog.LevelWarn
}

// Message is the wait in words: what is wrong, what to check, and when the
// next try comes; "retrying ... forever" while the program has never got
// through, "reconnecting" once it has.
func (w Wait) Message() string {
	problem := w.Err.Problem
	if problem == "" {
		problem = w.Err.Error()
	}
	parts := []string{problem}
	if w.Err.Said != "" {
		parts[0] += fmt.Sprintf(" (the feed said: %q)", w.Err.Said)
	}
	switch {
	case w.Err.Setting != "" && w.Err.Advice != "":
		parts = append(parts, w.Err.Advice+", and "+w.Err.Setting)
	case w.Err.Setting != "":
		parts = append(parts, "check "+w.Err.Setting)
	case w.Err.Advice != "":
		parts = append(parts, w.Err.Advice)
	}
	if w.EverConnected {
		parts = append(parts, "reconnecting in "+w.Delay.String())
	} else {
		parts = append(parts, "retrying in "+w.Delay.String()+", forever")
	}
	if w.Covered {
		parts = append(parts, "the feed still arrives on another connection")
	}
	return strings.Join(parts, "; ")
}
