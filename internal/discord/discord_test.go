package discord

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/rollsniper/rollsniper/messages"
)

// testToken is the secret part of the test webhook's URL.
const testToken = "tOkEn-s3cr3t_ZmFrZXdlYmhvb2t0b2tlbg"

// testMatch returns a match for a real-looking listing that took 3.2 µs from
// receipt to decision.
func testMatch(id string) messages.Match {
	recv := time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)
	return messages.Match{
		Trade: messages.Trade{
			ID: id, Status: "LISTED", MarkupPercent: 11.98, TotalValue: 27.45,
			MarketName: "StatTrak™ AK-47 | Redline (Field-Tested)", Brand: "AK-47", SkinName: "Redline",
			Wear: messages.WearFieldTested, StatTrak: true, Items: 1, ReceivedAt: recv,
		},
		Entry:      `#3 "AK-47 | Redline" Field-Tested, max markup 12%`,
		EntryIndex: 2,
		DecidedAt:  recv.Add(3200 * time.Nanosecond),
	}
}

func TestLatency(t *testing.T) {
	recv := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		took time.Duration
		want string
	}{
		{0, "0 ns"},
		{850 * time.Nanosecond, "850 ns"},
		{3200 * time.Nanosecond, "3.2 µs"},
		{999_949 * time.Nanosecond, "999.9 µs"},
		{1500 * time.Microsecond, "1.5 ms"},
		{2100 * time.Millisecond, "2.10 s"},
		{-time.Microsecond, "unknown"},
	}
	for _, tt := range tests {
		m := messages.Match{Trade: messages.Trade{ReceivedAt: recv}, DecidedAt: recv.Add(tt.took)}
		if got := latency(m); got != tt.want {
			t.Errorf("latency(%v) = %q, want %q", tt.took, got, tt.want)
		}
	}
}

func TestTruncateUTF16(t *testing.T) {
	tests := []struct {
		s     string
		limit int
		want  string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"žžžž", 3, "žž…"},
		{"a😀b", 4, "a😀b"}, // the emoji is two UTF-16 units
		{"a😀bc", 4, "a😀…"},
		{"😀😀😀", 4, "😀…"},
	}
	for _, tt := range tests {
		got := truncateUTF16(tt.s, tt.limit)
		if got != tt.want {
			t.Errorf("truncateUTF16(%q, %d) = %q, want %q", tt.s, tt.limit, got, tt.want)
		}
		if n := len(utf16.Encode([]rune(got))); n > tt.limit {
			t.Errorf("truncateUTF16(%q, %d) is %d UTF-16 units long", tt.s, tt.limit, n)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr bool
	}{
		{"https://discord.com/api/webhooks/1/" + testToken, false},
		{"http://127.0.0.1:8080/hook", false},
		{"", true},
		{"discord.com/api/webhooks/1/" + testToken, true},
		{"ftp://discord.com/api/webhooks/1/" + testToken, true},
		{"https://discord.com", true},
		{"https://%zz/" + testToken, true},
	}
	for _, tt := range tests {
		err := Validate(tt.raw)
		if (err != nil) != tt.wantErr {
			t.Errorf("Validate(%q) = %v, want error %v", tt.raw, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), testToken) {
			t.Errorf("Validate(%q) = %v, which names the token", tt.raw, err)
		}
	}
}

func TestVersioned(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"https://discord.com/api/webhooks/1/tok", "https://discord.com/api/v10/webhooks/1/tok"},
		{"https://discordapp.com/api/webhooks/1/tok?thread_id=2", "https://discordapp.com/api/v10/webhooks/1/tok?thread_id=2"},
		{"https://ptb.discord.com/api/webhooks/1/tok", "https://ptb.discord.com/api/v10/webhooks/1/tok"},
		{"https://discord.com/api/v9/webhooks/1/tok", "https://discord.com/api/v9/webhooks/1/tok"},
		{"https://example.com/api/webhooks/1/tok", "https://example.com/api/webhooks/1/tok"},
		{"http://127.0.0.1:1/api/webhooks/1/tok", "http://127.0.0.1:1/api/webhooks/1/tok"},
	}
	for _, tt := range tests {
		if got := Versioned(tt.raw); got != tt.want {
			t.Errorf("Versioned(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// BenchmarkBody measures building one alert's request body, the only
// work the sink does per match besides the request itself.
func BenchmarkBody(b *testing.B) {
	m := testMatch("VHJhZGU6MzI5OTM0NzI")
	b.ReportAllocs()
	for b.Loop() {
		Body(m)
	}
}

func TestJudge(t *testing.T) {
	header := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	for _, tt := range []struct {
		name string
		res  Result
		want Verdict
	}{
		{"204", Result{Status: 204, Header: header()}, Verdict{Outcome: Sent}},
		{"200 with an empty bucket", Result{Status: 200, Header: header("X-RateLimit-Remaining", "0", "X-RateLimit-Reset-After", "0.25")},
			Verdict{Outcome: Sent, Wait: 250 * time.Millisecond}},
		{"200 with room in the bucket", Result{Status: 200, Header: header("X-RateLimit-Remaining", "3", "X-RateLimit-Reset-After", "9")},
			Verdict{Outcome: Sent}},
		{"429 with a body", Result{Status: 429, Header: header(), Body: []byte(`{"retry_after": 1.5, "global": true}`)},
			Verdict{Outcome: RateLimited, Wait: 1500 * time.Millisecond, Global: true}},
		{"429 with a header only", Result{Status: 429, Header: header("Retry-After", "3")}, Verdict{Outcome: RateLimited, Wait: 3 * time.Second}},
		{"429 with nothing", Result{Status: 429, Header: header()}, Verdict{Outcome: RateLimited, Wait: time.Second}},
		{"502", Result{Status: 502, Header: header()}, Verdict{Outcome: Unavailable}},
		{"network error", Result{Err: errors.New("connection refused")}, Verdict{Outcome: Unavailable}},
		{"401", Result{Status: 401, Header: header()}, Verdict{Outcome: Rejected}},
		{"403", Result{Status: 403, Header: header()}, Verdict{Outcome: Rejected}},
		{"404", Result{Status: 404, Header: header()}, Verdict{Outcome: Rejected}},
		{"400", Result{Status: 400, Header: header(), Body: []byte(`{"message":"Invalid Form Body","code":50035}`)}, Verdict{Outcome: Refused}},
	} {
		if got := Judge(tt.res); got != tt.want {
			t.Errorf("%s: Judge = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// Redact hides the webhook's URL, its path, and its token on its own: a
// message that names only the token (Discord's, a proxy's) must not show it.
func TestRedactHidesTheBareToken(t *testing.T) {
	c := NewClient("https://discord.com/api/webhooks/1349876543210987654/"+testToken, nil)
	for _, text := range []string{
		"Invalid Webhook Token " + testToken,
		"token=" + testToken + "&x=1",
		"POST https://discord.com/api/v10/webhooks/1349876543210987654/" + testToken + ": timeout",
		"/api/webhooks/1349876543210987654/" + testToken,
	} {
		got := c.Redact(text)
		if strings.Contains(got, testToken) || strings.Contains(got, "1349876543210987654/") {
			t.Errorf("Redact(%q) = %q: the secret shows", text, got)
		}
	}
}
