package feedjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// scanText reads data as one JSON text and returns the scanner's verdict: ""
// when it is valid, else the syntax error as ParseFrame words it.
func scanText(data []byte) string {
	s := scanner{data: data}
	s.skipSpace()
	s.skip()
	s.end()
	if !s.bad {
		return ""
	}
	return s.syntaxError()
}

// scanWant returns encoding/json's verdict on data in the same words.
func scanWant(data []byte) string {
	var v json.RawMessage
	err := json.Unmarshal(data, &v)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%v at byte %d", syn, syn.Offset)
	}
	if err != nil {
		panic(err)
	}
	return ""
}

// scanCheck checks the scanner's verdict on data against encoding/json's; on
// invalid UTF-8, which encoding/json lets pass in strings, only that it fails:
// ParseFrame words that error itself.
func scanCheck(t *testing.T, data []byte) {
	t.Helper()
	got, want := scanText(data), scanWant(data)
	if !utf8.Valid(data) {
		if got == "" {
			t.Errorf("%.80q: valid, despite invalid UTF-8", data)
		}
		return
	}
	if got != want {
		t.Errorf("%.80q:\ngot  %q\nwant %q", data, got, want)
	}
}

var scanTexts = []string{
	``, ` `, `{}`, `[]`, ` {"a" : [1, -0.5e+3, true, false, null, "x"], "b": {}} `, `[[[]]]`, `{"a":{"b":[{}]}}`,
	`0`, `-0`, `01`, `-`, `-a`, `1.`, `1.e3`, `1e`, `1e+`, `1E-07`, `.5`, `+1`, `1x`, `2 3`, `[1 2]`, `[1,]`, `[,1]`,
	`{,}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{1:2}`, `{"a":1]`, `[1}`, `]`, `}`, `[`, `{`, `{"a":1`, `[1,`,
	`t`, `tru`, `trUe`, `true1`, `nul`, `nulL`, `f`, `fals`, `falsey`, `nullnull`,
	`"`, `"abc`, `"a\"`, `"\a"`, `"\u12"`, `"\u12G4"`, `"\uD800"`, `"\ud83d\ude00"`, `"\\\/\b\f\n\r\t\""`, `"\u"`,
	"\"\x00\"", "\"\x1f\"", "\"\x7f\"", "\"tab\there\"", "\"0000000\x0f\"", "\"00000000000000000000\x01\"",
	"\"\xff\"", "{\xc3\x28}", "[\"\xe2\x98\x85\"]", "\"\xe2\x98\"", "\xef\xbb\xbf{}", " \t\r\n[ \t\r\n] \t\r\n", "\v[]", "[]\f",
	`"` + strings.Repeat("long string ", 40) + `"`, `"` + strings.Repeat("★", 30) + `\n"`,
}

func TestScanMatchesEncodingJSON(t *testing.T) {
	for _, text := range scanTexts {
		scanCheck(t, []byte(text))
	}
}

func TestScanDepth(t *testing.T) {
	for _, depth := range []int{scanMaxDepth - 1, scanMaxDepth, scanMaxDepth + 1, 3 * scanMaxDepth} {
		arrays := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		objects := strings.Repeat(`{"k":`, depth) + "0" + strings.Repeat("}", depth)
		mixed := strings.Repeat(`[{"k":`, depth/2) + "0" + strings.Repeat("}]", depth/2)
		for _, text := range []string{arrays, objects, mixed, arrays[:len(arrays)-1]} {
			data := []byte(text)
			scanCheck(t, data)
			if allocs := testing.AllocsPerRun(10, func() { scanText(data) }); allocs > 0 && scanWant(data) == "" {
				t.Errorf("depth %d: %v allocations", depth, allocs)
			}
		}
	}
}

func TestScanUnquote(t *testing.T) {
	for _, text := range []string{
		`plain`, `★ and ™`, `\u2605`, `\ud83d\ude00`, `\ud800`, `\udc00`, `\ud800\u0041`, `\ud800\ud800\udc00`,
		`\udbff\udfff`, `\ud800\\u0041`, `\u0000\b\f\n\r\t\"\\\/`, `x\uFFFDy`, `\uDEAD\uBEEF`, ``,
	} {
		var want string
		if err := json.Unmarshal([]byte(`"`+text+`"`), &want); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if got := string(appendUnquoted(nil, []byte(text))); got != want {
			t.Errorf("appendUnquoted(%s) = %q, want %q", text, got, want)
		}
		if !textIs([]byte(text), want) || textIs([]byte(text), want+"x") {
			t.Errorf("textIs(%s) does not match %q alone", text, want)
		}
		if got := unquotedPrefix([]byte(text), 3); got != string([]rune(want)[:min(3, len([]rune(want)))]) {
			t.Errorf("unquotedPrefix(%s, 3) = %q, want the first 3 runes of %q", text, got, want)
		}
	}
}

// scanFoldProbe has fields whose names hold the letters that fold with runes
// outside ASCII: k and s.
type scanFoldProbe struct {
	MarkupPercent json.RawMessage `json:"markupPercent"`
	Status        json.RawMessage `json:"status"`
	K             json.RawMessage `json:"k"`
}

func TestScanFoldMatchesEncodingJSON(t *testing.T) {
	for _, key := range []string{
		"markupPercent", "MARKUPPERCENT", "mar\u212aupPercent", `mar\u212AupPercent`, `\u006darkupPercent`,
		"status", "STATUS", "\u017ftatus", `\u017Ftatu\u0073`, "stat\u00fcs", "k", "K", "\u212a", `\u212a`,
		"\u212a\u212a", "s", "\u017f", "", "status ", `status\u0000`, strings.Repeat("k", scanKeyMax+1),
	} {
		var probe scanFoldProbe
		if err := json.Unmarshal([]byte(`{"`+key+`":1}`), &probe); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		want := ""
		switch {
		case probe.MarkupPercent != nil:
			want = "markuppercent"
		case probe.Status != nil:
			want = "status"
		case probe.K != nil:
			want = "k"
		}
		s := scanner{data: []byte(`{"` + key + `":1}`)}
		s.enter('{')
		folded, ok := s.key()
		got := ""
		if ok {
			switch string(folded) {
			case "markuppercent", "status", "k":
				got = string(folded)
			}
		}
		if got != want {
			t.Errorf("key %q folds to %q, matching %q; encoding/json matches %q", key, folded, got, want)
		}
	}
}

// FuzzScan holds the scanner to encoding/json: the same verdict on every
// input, in the same words, and the same text for every string.
func FuzzScan(f *testing.F) {
	for _, text := range scanTexts {
		f.Add([]byte(text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		scanCheck(t, data)
		var want string
		if json.Unmarshal(data, &want) != nil || !utf8.Valid(data) {
			return
		}
		s := scanner{data: data}
		s.skipSpace()
		text := s.raw()
		if text[0] != '"' {
			return // null
		}
		if got := string(appendUnquoted(nil, text[1:len(text)-1])); got != want {
			t.Errorf("appendUnquoted(%s) = %q, want %q", text, got, want)
		}
		if !textIs(text[1:len(text)-1], want) {
			t.Errorf("textIs(%s, %q) is false", text, want)
		}
	})
}
