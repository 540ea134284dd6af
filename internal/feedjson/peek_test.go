package feedjson

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/internal/gqlws"
)

func TestPeek(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Head
	}{
		{`{"type":"connection_ack"}`, Head{Type: "connection_ack", OK: true}},
		{` {"type" : "ping", "payload": {}} `, Head{Type: "ping", OK: true}},
		// A "type" nested in the payload makes the peek read the whole
		// frame, to be sure it is not another top-level one.
		{`{"id":"1","type":"next","payload":{"data":{"type":"not me","id":"nor me"}}}`, Head{Type: "next", ID: "1", OK: true}},
		{`{"type":"next","payload":{"data":{"type":"not me"}},"id":"1"}`, Head{Type: "next", ID: "1", OK: true}},
		{`{"type":"next","payload":{"broken`, Head{Type: "next", OK: true, Partial: true}}, // the parser's to report
		{`{"payload":{"data":{"type":"not me"}},"type":"next"}`, Head{Type: "next", OK: true, Partial: true}},
		{`{"payload":[{"type":"x"}],"type":"error","id":"1"}`, Head{Type: "error", ID: "1", OK: true}},
		{`{"TYPE":"complete","Id":"1"}`, Head{Type: "complete", ID: "1", OK: true}},
		{`{"type":"pi\u006eg"}`, Head{Type: "ping", OK: true}},
		{`{"type":"a","type":"pong"}`, Head{Type: "pong", OK: true}},
		// The last "type" wins, after a next too, however it is written.
		{`{"type":"next","payload":{},"type":"ping"}`, Head{Type: "ping", OK: true}},
		{`{"type":"next","id":"1","TYPE":"complete"}`, Head{Type: "complete", ID: "1", OK: true}},
		{`{"type":"next","typ\u0065":"pong"}`, Head{Type: "pong", OK: true}},
		{`{"type":"ping","type":"next","payload":{"data":{}}}`, Head{Type: "next", OK: true, Partial: true}},
		// A "type" only nested, or in a value, leaves a next a next.
		{`{"type":"next","payload":{"data":{"type":"x"}},"id":"1"}`, Head{Type: "next", ID: "1", OK: true}},
		{`{"type":"next","payload":{"trackingType":"P2P"}}`, Head{Type: "next", OK: true, Partial: true}},
		{`{"type":7}`, Head{OK: true}},
		{`{}`, Head{OK: true}},
		{`{"type":"ping"`, Head{Type: "ping"}},
		{`{"type":"ping"} x`, Head{Type: "ping"}},
		{`["type","ping"]`, Head{}},
		{``, Head{}},
		{"{\"type\":\"p\xffng\"}", Head{}},
	} {
		if got := Peek([]byte(tt.in)); got != tt.want {
			t.Errorf("Peek(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// The peek and the parser agree on what a frame with more than one "type"
// is: the connection actor forwards to the parser exactly the frames the
// parser takes for a next, whatever the order of the keys.
func TestPeekAndParseFrameAgreeOnDuplicateTypes(t *testing.T) {
	batch := string(fixtures.Read(t, fixtures.Batch))
	payload := batch[strings.Index(batch, `"payload":`):strings.LastIndex(batch, "}")]
	for _, frame := range []string{
		`{"type":"next","id":"1",` + payload + `,"type":"ping"}`,
		`{"type":"ping","id":"1",` + payload + `,"type":"next"}`,
		`{"type":"next","id":"1",` + payload + `,"Type":"complete"}`,
		`{"type":"complete","id":"1",` + payload + `,"type":"next","type":"next"}`,
		`{"id":"1","type":"next",` + payload + `}`,
	} {
		peeked := Peek([]byte(frame)).Type == gqlws.TypeNext
		_, err := ParseFrame(nil, []byte(frame), time.Now())
		parsed := err == nil
		if peeked != parsed {
			t.Errorf("Peek says next: %t; ParseFrame decodes it: %t (%v)\n%.80s…%s", peeked, parsed, err, frame, frame[len(frame)-40:])
		}
	}
}

// BenchmarkPeek measures the peek of a real batch frame, whose type is read
// and whose rest is checked for another "type" key.
func BenchmarkPeek(b *testing.B) {
	frame := fixtures.Read(b, fixtures.Batch)
	for b.Loop() {
		Peek(frame)
	}
}

func TestPeekAllocatesNothingForProtocolMessages(t *testing.T) {
	frame := fixtures.Read(t, fixtures.Batch)
	if n := testing.AllocsPerRun(100, func() { Peek(frame) }); n != 0 {
		t.Errorf("Peek allocates %v times a frame, want 0", n)
	}
}

// FuzzPeek checks Peek against encoding/json on any input.
func FuzzPeek(f *testing.F) {
	for _, file := range fixtures.All(f) {
		for line := range bytes.Lines(file.Data) {
			f.Add(line)
		}
	}
	for _, s := range []string{`{"type":"ping"}`, `{"id":"1","type":"complete"}`, `{"id":"1","type":"next","payload":{"data":null}}`, `{"id":"1","type":"next",`, `{"id":"1","type":"next","type":"complete"}`, `{"id":"1","type":"next","payload":{},"TYPE":"complete"}`, `{"TyPe":"x"}`, `{"type":null}`, `[]`, `{"type":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := Peek(data)
		// PeekFirst differs only where it stops at a next's first type.
		first := PeekFirst(data)
		if first != got && !(first.Type == "next" && first.Partial) {
			t.Fatalf("PeekFirst(%q) = %+v, Peek %+v: they may differ only where PeekFirst stops at a next", data, first, got)
		}
		if scanned := peek(data, false); first != scanned {
			t.Fatalf("PeekFirst(%q) = %+v, but its scan reads %+v", data, first, scanned)
		}
		if got.Partial {
			// A next stops the peek early: the frame goes to the parser,
			// which reads it whole. Its type must really say next, the last
			// "type" key's included.
			var last struct {
				Type any `json:"type"`
			}
			if got.Type != "next" || !bytes.Contains(data, []byte(`"next"`)) ||
				utf8.Valid(data) && json.Unmarshal(data, &last) == nil && last.Type != "next" {
				t.Fatalf("Peek(%q) = %+v: partial, but not a next", data, got)
			}
			return
		}
		// Unlike encoding/json, the scanner refuses invalid UTF-8, as ParseFrame
		// does: such a frame goes to the parser, which reports it.
		var obj map[string]json.RawMessage
		if !utf8.Valid(data) || json.Unmarshal(data, &obj) != nil || obj == nil {
			if got.OK {
				t.Fatalf("Peek(%q) = ok, but encoding/json rejects it as an object", data)
			}
			return
		}
		if !got.OK {
			t.Fatalf("Peek(%q) not ok, but encoding/json reads an object", data)
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
		if got.Type != wantTyp || got.ID != wantID {
			t.Fatalf("Peek(%q) = %+v, want type %q id %q", data, got, wantTyp, wantID)
		}
	})
}

// PeekFirst compares a frame's first three words with nextPrefix's, written
// out as constants.
func TestNextPrefixWords(t *testing.T) {
	if len(nextPrefix) != 24 {
		t.Fatalf("nextPrefix %q is %d bytes, want three words", nextPrefix, len(nextPrefix))
	}
	for i, w := range []uint64{nextPrefix0, nextPrefix1, nextPrefix2} {
		if got := binary.LittleEndian.Uint64([]byte(nextPrefix[8*i:])); got != w {
			t.Errorf("word %d of %q is %#x, the constant %#x", i, nextPrefix, got, w)
		}
	}
}

// PeekFirst stops at a next's first type, where Peek reads on to a later
// "type" key, which wins; the connection actor confirms with Peek after.
func TestPeekFirstStopsAtTheFirstNext(t *testing.T) {
	frame := []byte(`{"id":"1","type":"next","payload":{"data":{}},"Type":"complete"}`)
	if h := PeekFirst(frame); h.Type != "next" || !h.Partial || h.ID != "1" {
		t.Errorf("PeekFirst = %+v, want a partial next with id 1", h)
	}
	if h := Peek(frame); h.Type != "complete" || h.Partial {
		t.Errorf("Peek = %+v, want the later type: complete, read whole", h)
	}
	ping := []byte(`{"type":"ping","payload":{"type":"next"}}`)
	if a, b := PeekFirst(ping), Peek(ping); a != b || a.Type != "ping" {
		t.Errorf("a ping: PeekFirst %+v, Peek %+v, want both ping", a, b)
	}
}
