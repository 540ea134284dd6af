package natsrec

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rollsniper/rollsniper/messages"
)

// DefaultPrefix is the subjects' prefix unless -nats-subject says otherwise.
const DefaultPrefix = "rollsniper"

// StreamName is the stream that holds the default prefix's subjects; a
// stream for another prefix is named after it (Subjects.Stream).
const StreamName = "ROLLSNIPER"

// The stream's limits. A trade record is about 500 bytes and the real feed
// carries about a trade a second, some 40 MB a day: a week fits well within
// the size limit, which only guards the disk against a runaway feed.
const (
	// DuplicateWindow is how long the stream remembers a Nats-Msg-Id: a copy
	// of a trade that a second publisher sends within it is not stored.
	DuplicateWindow = 2 * time.Minute
	// MaxAge is how long the stream keeps a message.
	MaxAge = 7 * 24 * time.Hour
	// MaxBytes is the most the stream stores; the oldest messages go first.
	MaxBytes = 1 << 30
)

// The consumer's settings.
const (
	// AckWait is how long the server waits for a consumer to acknowledge a
	// message before it delivers it again.
	AckWait = 30 * time.Second
	// MaxAckPending is how many messages a consumer may hold unacknowledged.
	MaxAckPending = 4096
	// EphemeralIdle is how long an unnamed consumer outlives its client.
	EphemeralIdle = time.Minute
)

// Subjects are the subjects of one prefix.
type Subjects struct {
	Prefix  string // "rollsniper"
	Trades  string // "rollsniper.trades": every trade
	Matches string // "rollsniper.matches": every whitelist match
	Stream  string // the stream that holds them: "ROLLSNIPER" for the default prefix
}

// NewSubjects returns the subjects under prefix, or an error that says what
// is wrong with it.
func NewSubjects(prefix string) (Subjects, error) {
	if err := checkPrefix(prefix); err != nil {
		return Subjects{}, err
	}
	stream := StreamName
	if prefix != DefaultPrefix {
		stream += "_" + strings.ReplaceAll(prefix, ".", "_")
	}
	return Subjects{Prefix: prefix, Trades: prefix + ".trades", Matches: prefix + ".matches", Stream: stream}, nil
}

// checkPrefix says what is wrong with a subject prefix, or returns nil.
func checkPrefix(prefix string) error {
	const form = "a prefix is one or more names of letters, digits, - and _, separated by dots, such as rollsniper or team.rollsniper"
	if prefix == "" {
		return fmt.Errorf("empty: %s", form)
	}
	for token := range strings.SplitSeq(prefix, ".") {
		if token == "" {
			return fmt.Errorf("has an empty name between dots: %s", form)
		}
		if err := checkName(token); err != nil {
			return fmt.Errorf("%w: %s", err, form)
		}
	}
	return nil
}

// CheckDurable says what is wrong with a durable consumer's name, or
// returns nil.
func CheckDurable(name string) error {
	const form = "a consumer name is letters, digits, - and _, such as me or desk-2"
	if name == "" {
		return fmt.Errorf("empty: %s", form)
	}
	if err := checkName(name); err != nil {
		return fmt.Errorf("%w: %s", err, form)
	}
	return nil
}

// checkName says which character of name NATS would not take, or returns
// nil.
func checkName(name string) error {
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		case r == ' ':
			return fmt.Errorf("has a space")
		case r == '.':
			return fmt.Errorf("has a dot")
		case r == '*' || r == '>':
			return fmt.Errorf("has the wildcard %q", r)
		default:
			return fmt.Errorf("has the character %q", r)
		}
	}
	return nil
}

// TradeMsgID is the Nats-Msg-Id of a trade's message: its id, so that the
// stream stores a trade once however many publishers send it.
func TradeMsgID(t *messages.Trade) string { return t.ID }

// MatchMsgID is the Nats-Msg-Id of a match's message: the trade's id and
// the whitelist entry's index, "ID:INDEX". Two publishers with the same
// whitelist send the same id; a trade that two entries match would be two
// messages.
func MatchMsgID(m *messages.Match) string { return m.Trade.ID + ":" + strconv.Itoa(m.EntryIndex) }

// StreamConfig is the stream rollsniper creates, or updates, for s: every
// subject under the prefix, kept on disk for MaxAge up to MaxBytes, with a
// duplicate window of DuplicateWindow.
func StreamConfig(s Subjects) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        s.Stream,
		Description: "rollsniper: every CSGORoll trade (" + s.Trades + ") and whitelist match (" + s.Matches + ")",
		Subjects:    []string{s.Prefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      MaxAge,
		MaxBytes:    MaxBytes,
		Discard:     jetstream.DiscardOld,
		Duplicates:  DuplicateWindow,
		Replicas:    1,
	}
}

// ConsumerConfig is the consumer a NATS source reads s's trades through,
// made when the source first starts at since: named durable, which the
// server keeps with its place in the stream, or unnamed when durable is "",
// which the server forgets EphemeralIdle after its client went. It delivers
// the trades published from since on; every message must be acknowledged,
// within AckWait.
func ConsumerConfig(s Subjects, durable string, since time.Time) jetstream.ConsumerConfig {
	c := jetstream.ConsumerConfig{
		Durable:       durable,
		Description:   "rollsniper source",
		FilterSubject: s.Trades,
		DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime:  &since,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       AckWait,
		MaxAckPending: MaxAckPending,
	}
	if durable == "" {
		c.InactiveThreshold = EphemeralIdle
	}
	return c
}

// Redact returns a server URL, or a comma-separated list of them, with every
// password (and a token standing alone as the user) replaced by "xxxxx", as
// NATS itself shows URLs. A part that is not a URL is shown as "(not a URL)".
func Redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil {
			parts[i] = "(not a URL)"
			continue
		}
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), "xxxxx")
			} else {
				u.User = url.User("xxxxx")
			}
		}
		parts[i] = u.Redacted()
	}
	return strings.Join(parts, ",")
}
