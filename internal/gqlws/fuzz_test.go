package gqlws

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzServerAnswers feeds anything a server could send to what reads its
// answers: a pong (EchoesBarrier), a ping (PongFor), an HTTP body or an
// error message (ServerWords). None may panic; a pong echoes the barrier only
// when its payload's barrier is the token; the answer to a ping is a valid
// message whose payload, if any, is an object; the server's words are one
// short line of valid UTF-8. The checked-in corpus is in
// testdata/fuzz/FuzzServerAnswers.
func FuzzServerAnswers(f *testing.F) {
	for _, s := range []string{
		`{"type":"pong","payload":{"barrier":"k3y"}}`, `{"type":"pong"}`, `{"type":"ping","payload":{"n":[1,2]}}`,
		`{"type":"ping","payload":"x"}`, "<html>\n<h1>404 Not Found</h1>\r\n</html>", "\xff\xfe\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var msg struct {
			Payload struct {
				Barrier string `json:"barrier"`
			} `json:"payload"`
		}
		want := json.Unmarshal(data, &msg) == nil && msg.Payload.Barrier == "k3y"
		if got := EchoesBarrier(data, "k3y"); got != want {
			t.Fatalf("EchoesBarrier(%q) = %t, want %t", data, got, want)
		}

		pong := PongFor(data)
		b, err := pong.Marshal()
		if err != nil {
			t.Fatalf("PongFor(%q) does not marshal: %v", data, err)
		}
		var back map[string]json.RawMessage
		if err := json.Unmarshal(b, &back); err != nil || string(back["type"]) != `"pong"` {
			t.Fatalf("PongFor(%q) = %s, not a pong", data, b)
		}
		if p, ok := back["payload"]; ok && (len(p) == 0 || p[0] != '{') {
			t.Fatalf("PongFor(%q) = %s: a payload that is not an object", data, b)
		}

		words := ServerWords(data)
		if !utf8.ValidString(words) || strings.ContainsAny(words, "\n\r\t\x00") || len(words) > MaxReasonLen+len("…") {
			t.Fatalf("ServerWords(%q) = %q: want one short line of valid UTF-8", data, words)
		}
	})
}
