package gqlws

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestReasonDelay(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"Too many initialisation requests", 0},
		{"30s", 30 * time.Second},
		{"retry after 30", 30 * time.Second},
		{"Retry-After: 15", 15 * time.Second},
		{"try again in 2.5 seconds", 2500 * time.Millisecond},
		{"wait 1m30s please", 90 * time.Second},
		{"error 42 occurred", 0},
		{"retry after -5", 0},
		{"retry after 0", 0},
		{"retry after 1e9", 0},
	} {
		if got := ReasonDelay(tt.in); got != tt.want {
			t.Errorf("ReasonDelay(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"5", 5 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := RetryAfter(tt.in, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		code      int
		reason    string
		fatal     bool
		wantKind  string
		slowDown  bool
		wantFloor time.Duration
	}{
		{1000, "", false, ReasonClosed, false, 0},
		{1001, "going away", false, ReasonClosed, false, 0},
		{1011, "", false, ReasonCloseError, false, 0},
		{1012, "", false, ReasonCloseError, false, 0},
		{1013, "try again in 30 seconds", false, ReasonCloseSlowDown, true, 30 * time.Second},
		{1014, "", false, ReasonCloseError, false, 0},
		{CloseConnectionInitTimeout, "", false, ReasonCloseError, false, 0},
		{CloseTooManyInitialisationReqs, "", false, ReasonCloseSlowDown, true, SlowDownFactor * time.Second},
		{CloseTooManyInitialisationReqs, "come back in 2h", false, ReasonCloseSlowDown, true, MaxServerDelay},
		{CloseInternalServerError, "", false, ReasonCloseError, false, 0},
		{CloseBadRequest, "", true, "", false, 0},
		{CloseUnauthorized, "", true, "", false, 0},
		{CloseForbidden, "Forbidden", true, "", false, 0},
		{CloseSubprotocolNotAcceptable, "", true, "", false, 0},
		// A fresh socket's one subscription cannot already exist: a server
		// error to retry, not a reason to end a program meant to run for months.
		{CloseSubscriberAlreadyExists, "Subscriber for 1 already exists", false, ReasonCloseError, false, 0},
	} {
		err := Classify(tt.code, tt.reason)
		if _, ok := err.(*FatalError); ok != tt.fatal {
			t.Errorf("Classify(%d) = %T %v, fatal %v", tt.code, err, err, tt.fatal)
			continue
		}
		if tt.fatal {
			continue
		}
		re := err.(*RetryError)
		floor, _ := re.Floor(time.Second)
		if re.Reason != tt.wantKind || re.SlowDown != tt.slowDown || floor != tt.wantFloor {
			t.Errorf("Classify(%d, %q) = reason %s slow-down %v floor %v, want %s %v %v",
				tt.code, tt.reason, re.Reason, re.SlowDown, floor, tt.wantKind, tt.slowDown, tt.wantFloor)
		}
	}
}

func TestClassifyUpgrade(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		status      int
		retryAfter  string
		fatal       bool
		wantKind    string
		wantFloor   time.Duration
		wantSetting string
	}{
		{401, "", true, "", 0, ""},
		{403, "", false, ReasonHTTP403, 0, ""},
		{429, "", false, ReasonHTTP429, SlowDownFactor * time.Second, ""},
		{429, "20", false, ReasonHTTP429, 20 * time.Second, ""},
		{503, "", false, ReasonHTTP503, 0, ""},
		{503, "5", false, ReasonHTTP503, 5 * time.Second, ""},
		{502, "", false, ReasonHTTP5xx, 0, ""},
		{400, "", false, ReasonHTTPOther, 0, SettingURL},
		{404, "", false, ReasonHTTPOther, 0, SettingURL},
		{200, "", false, ReasonHTTPOther, 0, ""},
		{101, "", false, ReasonProtocolError, 0, SettingURL},
	} {
		h := http.Header{}
		if tt.retryAfter != "" {
			h.Set("Retry-After", tt.retryAfter)
		}
		err := ClassifyUpgrade(tt.status, h, []byte("not\there\x00"), now)
		if _, ok := err.(*FatalError); ok != tt.fatal {
			t.Errorf("ClassifyUpgrade(%d) = %T %v, fatal %v", tt.status, err, err, tt.fatal)
			continue
		}
		if tt.fatal {
			continue
		}
		re := err.(*RetryError)
		if floor, _ := re.Floor(time.Second); re.Reason != tt.wantKind || floor != tt.wantFloor || re.Setting != tt.wantSetting {
			t.Errorf("ClassifyUpgrade(%d, Retry-After %q) = %s, floor %v, setting %q; want %s, %v, %q",
				tt.status, tt.retryAfter, re.Reason, floor, re.Setting, tt.wantKind, tt.wantFloor, tt.wantSetting)
		}
		if tt.status != 101 && re.Said != "not here" {
			t.Errorf("ClassifyUpgrade(%d): the server said %q, want its body on one printable line", tt.status, re.Said)
		}
	}
}

func TestTruncateKeepsRunes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"aéb", 2, "a…"}, // é is two bytes: cut before it, not inside
	} {
		if got := Truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// A 101 without the feed's subprotocol is a protocol error, and says so,
// naming what the server offered.
func TestWrongSubprotocolSaysSo(t *testing.T) {
	for _, tt := range []struct{ offered, want string }{
		{"graphql-ws", `protocol error: the upgrade succeeded (HTTP 101) with subprotocol "graphql-ws", not graphql-transport-ws`},
		{"", `protocol error: the upgrade succeeded (HTTP 101) with no subprotocol, not graphql-transport-ws`},
	} {
		h := http.Header{}
		if tt.offered != "" {
			h.Set("Sec-WebSocket-Protocol", tt.offered)
		}
		err := ClassifyUpgrade(http.StatusSwitchingProtocols, h, nil, time.Now())
		if !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("offered %q: %v, want it to start %q", tt.offered, err, tt.want)
		}
	}
}

func TestSubscriptionRejectedNamesTheSettingAndTheServersWords(t *testing.T) {
	re := SubscriptionRejected([]byte(`{"id":"1","type":"error","payload":[{"message":"Cannot query field \"createTrades\""}]}`))
	if re.Reason != ReasonSubscriptionEnded || re.Setting != SettingSubscription || !strings.Contains(re.Error(), `Cannot query field "createTrades"`) {
		t.Errorf("SubscriptionRejected = %+v (%v)", re, re)
	}
}
