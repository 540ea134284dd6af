package record

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/messages"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from what the code writes now")

// printedAt is when the golden records are printed.
var printedAt = time.Date(2026, 11, 28, 18, 40, 2, 113_000_000, time.UTC)

// goldenTrades are the fixtures' real trades and hand-made ones that reach
// every branch of the formats: every detail, none, a status other than
// LISTED, a name that would break a line or colour a terminal.
func goldenTrades(t testing.TB) []messages.Trade {
	t.Helper()
	received := printedAt.Add(-5 * time.Millisecond)
	var trades []messages.Trade
	for _, f := range fixtures.Frames(t) {
		trades, _ = feedjson.ParseFrame(trades, f, received)
	}
	if len(trades) == 0 {
		t.Fatal("the fixtures hold no trade")
	}
	trades = append(trades,
		messages.Trade{
			ID: "VHJhZGU6MzQwMTczNTQ", Status: "LISTED", MarkupPercent: 1.57, TotalValue: 374.31, CanJoin: true,
			MarketName: "★ Hand Wraps | Slaughter (Minimal Wear)", Brand: "★ Hand Wraps", SkinName: "Slaughter",
			Wear: messages.WearMinimalWear, Items: 1, AvgPaintWear: 0.09121376, HasAvgPaintWear: true,
			CreatedAt: time.Date(2026, 11, 28, 18, 40, 1, 998_000_000, time.UTC), ReceivedAt: received,
		},
		messages.Trade{
			ID: "VHJhZGU6MzQ5MjEwMjA", Status: "LISTED", MarkupPercent: 12, TotalValue: 12617.5, CanJoin: true,
			MarketName: "★ StatTrak™ Karambit | Fade (Factory New)", Brand: "★ Karambit", SkinName: "Fade",
			Wear: messages.WearFactoryNew, StatTrak: true, Items: 1,
			AvgPaintWear: 0.0065138533711433411, HasAvgPaintWear: true, PatternPercentage: 97.125, HasPatternPercentage: true,
			ReceivedAt: received,
		},
		messages.Trade{
			ID: "VHJhZGU6MzQ5MjEwMjE", Status: "LISTED", MarkupPercent: 4.5, TotalValue: 1520.2, CanJoin: true,
			MarketName: "Souvenir AWP | Dragon Lore (Field-Tested)", Brand: "AWP", SkinName: "Dragon Lore",
			Wear: messages.WearFieldTested, Souvenir: true, Items: 1, AvgPaintWear: 0.2, HasAvgPaintWear: true,
			Stickers: messages.StickersOf(
				messages.Sticker{Name: "Titan (Holo) | Katowice 2014", Wear: 0, HasWear: true},
				messages.Sticker{Name: "Crown (Foil)", Wear: 0.0312, HasWear: true},
				messages.Sticker{Name: "iBUYPOWER | Katowice 2014"},
			),
			CreatedAt: time.Date(2026, 11, 28, 18, 40, 2, 0, time.UTC), ReceivedAt: received,
		},
		messages.Trade{
			ID: "VHJhZGU6MzQ5MjEwMjI", Status: "JOINED", MarkupPercent: 0, TotalValue: 0.5, CanJoin: false,
			MarketName: "Sticker | Crown (Foil)", Brand: "Sticker", SkinName: "Crown (Foil)", Items: 2, ReceivedAt: received,
		},
		messages.Trade{
			ID: "a b=\"c\"", Status: "", MarkupPercent: -3.25, TotalValue: 1e21, CanJoin: true,
			MarketName: "Evil\n\x1b[31mname\u202e \"quoted\" \\ \xff", Items: 1, ReceivedAt: received,
			Stickers: messages.StickersOf(messages.Sticker{Name: "a \"b\"\n\\c", Wear: 1e-7, HasWear: true}),
		},
	)
	return trades
}

// goldenRecords writes every golden trade's trade record, and a match record
// for each, in format f.
func goldenRecords(t testing.TB, f Format) []byte {
	var out []byte
	for i, tr := range goldenTrades(t) {
		out = f.AppendTrade(out, printedAt, &tr)
		m := messages.Match{Trade: tr, Entry: fmt.Sprintf("#%d %s, any wear, max markup 12%%, any price", i, tr.Brand), EntryIndex: i,
			DecidedAt: tr.ReceivedAt.Add(61800 * time.Nanosecond)}
		out = f.AppendMatch(out, printedAt, &m)
	}
	return out
}

// TestGolden compares each format's records with its golden file
// (go test -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	for _, f := range []Format{JSON, Text, Color} {
		t.Run(f.String(), func(t *testing.T) {
			got := goldenRecords(t, f)
			path := filepath.Join("testdata", "records."+f.String()+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -run TestGolden -update writes it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("records differ from %s (go test -run TestGolden -update rewrites it after a deliberate change):\n got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// oldRecord is the record as the program printed it before records had a
// format of their own: slog's JSON handler over these attributes. Scripts
// were written against it.
func oldRecord(now time.Time, msg string, m *messages.Match) []byte {
	var buf bytes.Buffer
	h := slog.NewJSONHandler(&buf, nil)
	t := &m.Trade
	r := slog.NewRecord(now, slog.LevelInfo, msg, 0)
	r.AddAttrs(slog.String("id", t.ID), slog.Float64("markup", t.MarkupPercent), slog.Float64("price", t.TotalValue),
		slog.Bool("can_join", t.CanJoin), slog.String("status", t.Status), slog.String("item", t.MarketName),
		slog.Bool("stattrak", t.StatTrak))
	if msg == "match" {
		r.AddAttrs(slog.String("wear", string(t.Wear)), slog.Bool("souvenir", t.Souvenir), slog.String("entry", m.Entry),
			slog.Float64("latency_us", float64(m.Latency())/float64(time.Microsecond)))
	}
	_ = h.Handle(context.Background(), r)
	return bytes.TrimSuffix(buf.Bytes(), []byte("}\n"))
}

// checkKeepsOldRecord fails unless the JSON records of m begin, byte for byte,
// with the old records' keys and values: scripts keep working.
func checkKeepsOldRecord(t *testing.T, m *messages.Match) {
	t.Helper()
	for _, c := range []struct {
		msg string
		got []byte
	}{
		{"trade", JSON.AppendTrade(nil, printedAt, &m.Trade)},
		{"match", JSON.AppendMatch(nil, printedAt, m)},
	} {
		old := oldRecord(printedAt, c.msg, m)
		if !bytes.HasPrefix(c.got, old) {
			t.Errorf("%s record\n%s\ndoes not begin with the old record\n%s", c.msg, c.got, old)
		}
		if !json.Valid(c.got) {
			t.Errorf("%s record is not JSON: %s", c.msg, c.got)
		}
	}
}

func TestJSONKeepsTheOldRecord(t *testing.T) {
	for i, tr := range append(goldenTrades(t), generatedTrades(t, 300)...) {
		checkKeepsOldRecord(t, &messages.Match{Trade: tr, Entry: fmt.Sprintf("#%d x", i), EntryIndex: i, DecidedAt: tr.ReceivedAt.Add(time.Duration(i) * 1234 * time.Nanosecond)})
	}
}

// jsonRecord is a JSON record as a script reads it; a pointer is a key that
// may be missing.
type jsonRecord struct {
	Msg      string   `json:"msg"`
	ID       string   `json:"id"`
	Wear     *string  `json:"wear"`
	Souvenir *bool    `json:"souvenir"`
	Float    *float64 `json:"float"`
	Pattern  *float64 `json:"pattern"`
	Stickers []struct {
		Name string   `json:"name"`
		Wear *float64 `json:"wear"`
	} `json:"stickers"`
	CreatedAt *time.Time `json:"created_at"`
	Entry     *string    `json:"entry"`
	LatencyUS *float64   `json:"latency_us"`
}

// TestJSONDetails checks the new keys against the trade they came from: the
// same values, and no key at all for what the feed did not send.
func TestJSONDetails(t *testing.T) {
	for _, tr := range append(goldenTrades(t), generatedTrades(t, 300)...) {
		line := JSON.AppendTrade(nil, printedAt, &tr)
		var r jsonRecord
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if r.Wear == nil || *r.Wear != string(tr.Wear) || r.Souvenir == nil || *r.Souvenir != tr.Souvenir {
			t.Errorf("wear, souvenir of %s: want %q, %v", line, tr.Wear, tr.Souvenir)
		}
		if (r.Float != nil) != tr.HasAvgPaintWear || r.Float != nil && *r.Float != tr.AvgPaintWear {
			t.Errorf("float of %s: want %v (sent: %v)", line, tr.AvgPaintWear, tr.HasAvgPaintWear)
		}
		if (r.Pattern != nil) != tr.HasPatternPercentage || r.Pattern != nil && *r.Pattern != tr.PatternPercentage {
			t.Errorf("pattern of %s: want %v (sent: %v)", line, tr.PatternPercentage, tr.HasPatternPercentage)
		}
		if len(r.Stickers) != tr.Stickers.Len() || tr.Stickers.Len() == 0 && bytes.Contains(line, []byte(`"stickers"`)) {
			t.Errorf("stickers of %s: want %d", line, tr.Stickers.Len())
		}
		for i, s := range r.Stickers {
			want := tr.Stickers.At(i)
			if s.Name != strings.ToValidUTF8(want.Name, "\ufffd") || (s.Wear != nil) != want.HasWear || s.Wear != nil && *s.Wear != want.Wear {
				t.Errorf("sticker %d of %s: want %+v", i, line, want)
			}
		}
		if (r.CreatedAt != nil) != !tr.CreatedAt.IsZero() || r.CreatedAt != nil && !r.CreatedAt.Equal(tr.CreatedAt) {
			t.Errorf("created_at of %s: want %v", line, tr.CreatedAt)
		}
		if r.Entry != nil || r.LatencyUS != nil {
			t.Errorf("a trade record has match keys: %s", line)
		}
	}
}

// generatedTrades returns n trades of the fake feed as the parser reads them:
// floats, patterns, stickers and phases in the proportions the demo has.
func generatedTrades(t testing.TB, n int) []messages.Trade {
	t.Helper()
	gen := fakeroll.NewGenerator(11)
	var trades []messages.Trade
	var frame bytes.Buffer
	for range n {
		data, err := json.Marshal(gen.Next(printedAt))
		if err != nil {
			t.Fatal(err)
		}
		frame.Reset()
		fmt.Fprintf(&frame, `{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[%s]}}}}`, data)
		before := len(trades)
		if trades, err = feedjson.ParseFrame(trades, frame.Bytes(), printedAt); err != nil || len(trades) != before+1 {
			t.Fatalf("generated frame: %d trades, %v", len(trades)-before, err)
		}
	}
	return trades
}

// TestTextFitsATerminal checks the budget on the fake feed's trades
// and the fixtures: a trade line fits in 120 columns, stickers aside (their
// names alone can take a hundred), and never says LISTED.
func TestTextFitsATerminal(t *testing.T) {
	trades := append(goldenTrades(t)[:3], generatedTrades(t, 2000)...)
	var withStickers, longest int
	for _, tr := range trades {
		if tr.Stickers.Len() > 0 {
			withStickers++
			tr.Stickers = messages.Stickers{}
		}
		line := strings.TrimSuffix(string(Text.AppendTrade(nil, printedAt, &tr)), "\n")
		cols := utf8.RuneCountInString(line)
		longest = max(longest, cols)
		if cols > 120 {
			t.Errorf("%d columns, want at most 120: %s", cols, line)
		}
		if strings.Contains(line, "LISTED") {
			t.Errorf("the line says LISTED, which every new listing is: %s", line)
		}
	}
	if withStickers == 0 {
		t.Error("no trade had stickers: the test proves less than it says")
	}
	t.Logf("the longest line without its stickers: %d columns", longest)
}

// TestTextIsOneSafeLine checks that nothing a feed sends can break a text
// record into two lines or reach the terminal as a control character.
func TestTextIsOneSafeLine(t *testing.T) {
	for _, tr := range goldenTrades(t) {
		checkSafeText(t, &tr)
	}
}

func checkSafeText(t *testing.T, tr *messages.Trade) {
	t.Helper()
	m := &messages.Match{Trade: *tr, EntryIndex: 3}
	for _, line := range [][]byte{Text.AppendTrade(nil, printedAt, tr), Text.AppendMatch(nil, printedAt, m),
		stripANSI(Color.AppendTrade(nil, printedAt, tr)), stripANSI(Color.AppendMatch(nil, printedAt, m))} {
		body, ok := bytes.CutSuffix(line, []byte("\n"))
		if !ok {
			t.Fatalf("no newline at the end: %q", line)
		}
		for _, b := range body {
			if b < 0x20 || b == 0x7f {
				t.Fatalf("a control character %#x in the line %q", b, line)
			}
		}
		if !utf8.Valid(body) {
			t.Fatalf("invalid UTF-8 in the line %q", line)
		}
	}
}

// stripANSI cuts the record format's own colour sequences from a line; any
// other escape is left, for the caller to find.
func stripANSI(line []byte) []byte {
	for _, code := range []string{ansiReset, ansiFaint, ansiBold, ansiYellow, ansiMatch, ansiMatchItem} {
		line = bytes.ReplaceAll(line, []byte(code), nil)
	}
	return line
}

// TestColourOnlyInColor checks that the plain formats hold no escape and the
// colour format holds only its own, and that a match's badge is coloured.
func TestColourOnlyInColor(t *testing.T) {
	for _, f := range []Format{JSON, Text} {
		if out := goldenRecords(t, f); bytes.Contains(out, []byte("\x1b[")) {
			t.Errorf("%v records hold ANSI escapes", f)
		}
	}
	out := goldenRecords(t, Color)
	if !bytes.Contains(out, []byte(ansiMatch+"MATCH"+ansiReset)) {
		t.Error("colour records do not badge a match")
	}
	if !bytes.Equal(stripANSI(out), goldenRecords(t, Text)) {
		t.Error("colour records without their colours are not the text records")
	}
}

func TestRecordsDoNotAllocate(t *testing.T) {
	trades := goldenTrades(t)
	buf := make([]byte, 0, 4096)
	for _, f := range []Format{JSON, Text, Color} {
		for _, tr := range trades {
			m := messages.Match{Trade: tr, Entry: "#3 x", EntryIndex: 3, DecidedAt: tr.ReceivedAt}
			if n := testing.AllocsPerRun(100, func() {
				buf = f.AppendTrade(buf[:0], printedAt, &tr)
				buf = f.AppendMatch(buf, printedAt, &m)
			}); n != 0 {
				t.Errorf("%v records of %s: %v allocations, want none", f, tr.MarketName, n)
			}
		}
	}
}

func TestAppendJSONFloatAsEncodingJSON(t *testing.T) {
	for _, v := range []float64{0, 1, -1, 11.98, 0.1 + 0.2, 1e-6, 9.99e-7, 1e-7, 1.5e-300, 1e20, 1e21, 123456789012345678901234.0, -1e-7, math.SmallestNonzeroFloat64, math.MaxFloat64} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONFloatValue(nil, v); string(got) != string(want) {
			t.Errorf("appendJSONFloatValue(%v) = %s, want %s", v, got, want)
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := appendJSONFloatValue(nil, v); string(got) != "null" {
			t.Errorf("appendJSONFloatValue(%v) = %s, want null", v, got)
		}
	}
}

// FuzzRecords writes records of trades made of arbitrary text and numbers:
// the JSON record must begin with the old record and be valid JSON, and a
// text record must be one line without control characters.
func FuzzRecords(f *testing.F) {
	f.Add("VHJhZGU6MzI5OTM0Nzg", "LISTED", "AK-47 | Redline (Field-Tested)", "Crown (Foil)", 11.98, 24.49, 0.429, true)
	f.Add("a b", "", "Evil\n\x1b[31mname\u202e", "\xff\"", math.Copysign(0, -1), 1e21, 1e-7, false)
	f.Add("\u2028", "JOINED", "★ Karambit | Doppler Ruby (Factory New)", "", math.Inf(1), math.NaN(), 0.0, true)
	f.Fuzz(func(t *testing.T, id, status, item, sticker string, markup, price, float float64, canJoin bool) {
		tr := messages.Trade{ID: id, Status: status, MarketName: item, MarkupPercent: markup, TotalValue: price, CanJoin: canJoin,
			AvgPaintWear: float, HasAvgPaintWear: true, PatternPercentage: float * 100, HasPatternPercentage: float > 0.5,
			Stickers: messages.StickersOf(messages.Sticker{Name: sticker, Wear: float, HasWear: true}, messages.Sticker{Name: item})}
		if !math.IsNaN(markup) && !math.IsInf(markup, 0) && !math.IsNaN(price) && !math.IsInf(price, 0) {
			// slog writes what JSON has no number for as an error text; ours is null.
			checkKeepsOldRecord(t, &messages.Match{Trade: tr, Entry: sticker, DecidedAt: time.Unix(0, 0)})
		}
		checkSafeText(t, &tr)
	})
}
