package actors

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

func TestPeekEnvelope(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want envelope
	}{
		{`{"type":"connection_ack"}`, envelope{typ: "connection_ack", ok: true}},
		{` {"type" : "ping", "payload": {}} `, envelope{typ: "ping", ok: true}},
		{`{"id":"1","type":"next","payload":{"data":{"type":"not me","id":"nor me"}}}`, envelope{typ: "next", id: "1", ok: true, partial: true}},
		{`{"type":"next","payload":{"data":{"type":"not me"}},"id":"1"}`, envelope{typ: "next", ok: true, partial: true}},
		{`{"type":"next","payload":{"broken`, envelope{typ: "next", ok: true, partial: true}}, // the parser's to report
		{`{"payload":{"data":{"type":"not me"}},"type":"next"}`, envelope{typ: "next", ok: true, partial: true}},
		{`{"payload":[{"type":"x"}],"type":"error","id":"1"}`, envelope{typ: "error", id: "1", ok: true}},
		{`{"TYPE":"complete","Id":"1"}`, envelope{typ: "complete", id: "1", ok: true}},
		{`{"type":"pi\u006eg"}`, envelope{typ: "ping", ok: true}},
		{`{"type":"a","type":"pong"}`, envelope{typ: "pong", ok: true}},
		{`{"type":7}`, envelope{ok: true}},
		{`{}`, envelope{ok: true}},
		{`{"type":"ping"`, envelope{typ: "ping"}},
		{`{"type":"ping"} x`, envelope{typ: "ping"}},
		{`["type","ping"]`, envelope{}},
		{``, envelope{}},
		{"{\"type\":\"p\xffng\"}", envelope{}},
	} {
		if got := peekEnvelope([]byte(tt.in)); got != tt.want {
			t.Errorf("peekEnvelope(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestPeekEnvelopeAllocatesNothingForProtocolMessages(t *testing.T) {
	frame, err := os.ReadFile(filepath.Join("testdata", "fixtures", "createTrades_batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { peekEnvelope(frame) }); n != 0 {
		t.Errorf("peekEnvelope allocates %v times a frame, want 0", n)
	}
}

// FuzzPeekEnvelope checks peekEnvelope against encoding/json on any input.
func FuzzPeekEnvelope(f *testing.F) {
	for _, file := range parserFixtureFiles(f) {
		for line := range bytes.Lines(file.data) {
			f.Add(line)
		}
	}
	for _, s := range []string{`{"type":"ping"}`, `{"id":"1","type":"complete"}`, `{"TyPe":"x"}`, `{"type":null}`, `[]`, `{"type":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := peekEnvelope(data)
		if got.partial {
			// A next stops the peek early: the frame goes to the parser,
			// which reads it whole. Its type key must really say next.
			if got.typ != "next" || !bytes.Contains(data, []byte(`"next"`)) {
				t.Fatalf("peekEnvelope(%q) = %+v: partial, but not a next", data, got)
			}
			return
		}
		// Unlike encoding/json, the scanner refuses invalid UTF-8, as ParseFrame
		// does: such a frame goes to the parser, which reports it.
		var obj map[string]json.RawMessage
		if !utf8.Valid(data) || json.Unmarshal(data, &obj) != nil || obj == nil {
			if got.ok {
				t.Fatalf("peekEnvelope(%q) = ok, but encoding/json rejects it as an object", data)
			}
			return
		}
		if !got.ok {
			t.Fatalf("peekEnvelope(%q) not ok, but encoding/json reads an object", data)
		}
		var want struct {
			Type any `json:"type"`
			ID   any `json:"id"`
		}
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		wantTyp, _ := want.Type.(string)
		wantID, _ := want.ID.(string)
		if got.typ != wantTyp || got.id != wantID {
			t.Fatalf("peekEnvelope(%q) = %+v, want type %q id %q", data, got, wantTyp, wantID)
		}
	})
}
