package natsrec

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rollsniper/rollsniper/messages"
)

func TestNewSubjects(t *testing.T) {
	for _, c := range []struct {
		prefix                       string
		trades, matches, all, stream string
	}{
		{"rollsniper", "rollsniper.trades", "rollsniper.matches", "rollsniper.>", "ROLLSNIPER"},
		{"team.desk-2", "team.desk-2.trades", "team.desk-2.matches", "team.desk-2.>", "ROLLSNIPER_team_desk-2"},
	} {
		s, err := NewSubjects(c.prefix)
		if err != nil {
			t.Fatalf("NewSubjects(%q): %v", c.prefix, err)
		}
		if s.Trades != c.trades || s.Matches != c.matches || s.Stream != c.stream {
			t.Errorf("NewSubjects(%q) = %+v", c.prefix, s)
		}
		cfg := StreamConfig(s)
		if len(cfg.Subjects) != 1 || cfg.Subjects[0] != c.all || cfg.Name != c.stream {
			t.Errorf("stream for %q: %s on %v", c.prefix, cfg.Name, cfg.Subjects)
		}
	}
}

func TestSubjectPrefixErrors(t *testing.T) {
	for _, c := range []struct {
		prefix, want string
	}{
		{"my feed", "has a space"},
		{"", "empty"},
		{"a..b", "empty name between dots"},
		{".a", "empty name between dots"},
		{"a.*", `wildcard '*'`},
		{"a.>", `wildcard '>'`},
		{"a\tb", `character '\t'`},
	} {
		_, err := NewSubjects(c.prefix)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "such as rollsniper") {
			t.Errorf("NewSubjects(%q) = %v, want an error saying %q and showing a good prefix", c.prefix, err, c.want)
		}
	}
}

func TestCheckDurable(t *testing.T) {
	if err := CheckDurable("desk-2_b"); err != nil {
		t.Errorf("CheckDurable(desk-2_b) = %v", err)
	}
	for _, name := range []string{"", "my desk", "a.b", "a*", "a>"} {
		if err := CheckDurable(name); err == nil {
			t.Errorf("CheckDurable(%q) = nil", name)
		}
	}
}

func TestStreamConfig(t *testing.T) {
	s, _ := NewSubjects(DefaultPrefix)
	c := StreamConfig(s)
	if c.Storage != jetstream.FileStorage || c.Duplicates != 2*time.Minute || c.MaxAge <= 0 || c.MaxBytes <= 0 || c.Discard != jetstream.DiscardOld {
		t.Errorf("stream config %+v: want file storage, limits by age and size, duplicate window 2m", c)
	}
}

func TestConsumerConfig(t *testing.T) {
	s, _ := NewSubjects(DefaultPrefix)
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := ConsumerConfig(s, "me", since)
	if d.Durable != "me" || d.FilterSubject != "rollsniper.trades" || d.AckPolicy != jetstream.AckExplicitPolicy || d.InactiveThreshold != 0 ||
		d.DeliverPolicy != jetstream.DeliverByStartTimePolicy || d.OptStartTime == nil || !d.OptStartTime.Equal(since) {
		t.Errorf("durable consumer %+v", d)
	}
	if e := ConsumerConfig(s, "", since); e.Durable != "" || e.InactiveThreshold <= 0 {
		t.Errorf("unnamed consumer %+v: want no name and an inactive threshold", e)
	}
}

func TestMsgIDs(t *testing.T) {
	tr := messages.Trade{ID: "VHJhZGU6MzQwMTczNTQ"}
	if got := TradeMsgID(&tr); got != "VHJhZGU6MzQwMTczNTQ" {
		t.Errorf("TradeMsgID = %q", got)
	}
	m := messages.Match{Trade: tr, EntryIndex: 9}
	if got := MatchMsgID(&m); got != "VHJhZGU6MzQwMTczNTQ:9" {
		t.Errorf("MatchMsgID = %q", got)
	}
}

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://me:s3cret@host:4222", "nats://me:xxxxx@host:4222"},
		{"nats://tok3n@host:4222", "nats://xxxxx@host:4222"},
		{"nats://a:p1@h1:4222, nats://a:p2@h2:4222", "nats://a:xxxxx@h1:4222,nats://a:xxxxx@h2:4222"},
		{"nats://a:p%zz@h", "(not a URL)"},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
