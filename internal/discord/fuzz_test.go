package discord

// The fuzz target for what the Discord sink reads off the network: the body and
// rate-limit headers of an answer.

import (
	"encoding/json"
	"math"
	"net/http"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// FuzzDiscordAnswer feeds arbitrary answers to the parsers of a 429's wait and
// of an error's message: they must not panic, a wait must lie in
// [0, MaxWait] and be at least the body's retry_after, and a message
// must be valid UTF-8 short enough to log.
func FuzzDiscordAnswer(f *testing.F) {
	f.Add([]byte(`{"message":"You are being rate limited.","retry_after":0.25,"global":false}`), "0.25", "1")
	f.Add([]byte(`{"message":"Invalid Form Body","code":50035,"errors":{"embeds":{}}}`), "", "")
	f.Add([]byte(`<html>error code: 1015</html>`), "", "60")
	f.Add([]byte(`{"retry_after":1e308,"global":true}`), "NaN", "-1")
	f.Fuzz(func(t *testing.T, body []byte, resetAfter, retryAfter string) {
		h := http.Header{}
		h.Set("X-RateLimit-Reset-After", resetAfter)
		h.Set("Retry-After", retryAfter)
		wait, _ := RetryAfter(h, body)
		if wait < 0 || wait > MaxWait {
			t.Errorf("RetryAfter(%q, %q, %q) = %v, want within [0, %v]", body, resetAfter, retryAfter, wait, MaxWait)
		}
		var rl struct {
			RetryAfter *float64 `json:"retry_after"`
		}
		if json.Unmarshal(body, &rl) == nil && rl.RetryAfter != nil && *rl.RetryAfter >= 0 && !math.IsInf(*rl.RetryAfter, 0) {
			asked := *rl.RetryAfter
			if asked < MaxWait.Seconds() && wait.Seconds() < asked {
				t.Errorf("RetryAfter(%q) = %v, shorter than the retry_after asked", body, wait)
			}
			if asked >= MaxWait.Seconds() && wait != MaxWait {
				t.Errorf("RetryAfter(%q) = %v, want the cap %v", body, wait, MaxWait)
			}
		}

		msg := Message(body)
		if !utf8.ValidString(msg) {
			t.Errorf("Message(%q) = %q, not valid UTF-8", body, msg)
		}
		if n := len(utf16.Encode([]rune(msg))); n > 200 {
			t.Errorf("Message(%q) is %d UTF-16 units, want at most 200", body, n)
		}
	})
}
