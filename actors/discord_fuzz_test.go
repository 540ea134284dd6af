package actors

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
// [0, discordMaxWait] and be at least the body's retry_after, and a message
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
		wait, _ := discordRetryAfter(h, body)
		if wait < 0 || wait > discordMaxWait {
			t.Errorf("discordRetryAfter(%q, %q, %q) = %v, want within [0, %v]", body, resetAfter, retryAfter, wait, discordMaxWait)
		}
		var rl struct {
			RetryAfter *float64 `json:"retry_after"`
		}
		if json.Unmarshal(body, &rl) == nil && rl.RetryAfter != nil && *rl.RetryAfter >= 0 && !math.IsInf(*rl.RetryAfter, 0) {
			asked := *rl.RetryAfter
			if asked < discordMaxWait.Seconds() && wait.Seconds() < asked {
				t.Errorf("discordRetryAfter(%q) = %v, shorter than the retry_after asked", body, wait)
			}
			if asked >= discordMaxWait.Seconds() && wait != discordMaxWait {
				t.Errorf("discordRetryAfter(%q) = %v, want the cap %v", body, wait, discordMaxWait)
			}
		}

		msg := discordMessage(body)
		if !utf8.ValidString(msg) {
			t.Errorf("discordMessage(%q) = %q, not valid UTF-8", body, msg)
		}
		if n := len(utf16.Encode([]rune(msg))); n > 200 {
			t.Errorf("discordMessage(%q) is %d UTF-16 units, want at most 200", body, n)
		}
	})
}
