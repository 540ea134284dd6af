package whitelist

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rollsniper/rollsniper/messages"
)

// benchWeapons and benchFinishes make 10,000 distinct names from real-looking
// parts.
var (
	benchWeapons  = []string{"AK-47", "M4A4", "M4A1-S", "AWP", "Desert Eagle", "USP-S", "Glock-18", "★ Karambit", "★ Butterfly Knife", "MP9"}
	benchFinishes = []string{"Redline", "Asiimov", "Printstream", "Fade", "Doppler Phase", "Case Hardened", "Hyper Beast", "Slaughter", "Crimson Web", "Neon Rider"}
)

// benchList returns a whitelist of n entries, every third StatTrak any, every
// fifth in a list of wears, so the index is as large as real files make it.
// The names are made up, so the entries are unchecked.
func benchList(tb testing.TB, n int) *List {
	tb.Helper()
	var b strings.Builder
	b.WriteString(`{"defaults": {"max_markup": 12, "max_price": 5000}, "items": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		name := benchName(i)
		switch {
		case i%5 == 0:
			fmt.Fprintf(&b, `{"name": %q, "wear": ["FN", "MW"], "unchecked": true}`, name)
		case i%3 == 0:
			fmt.Fprintf(&b, `{"name": %q, "stattrak": "any", "unchecked": true}`, name)
		default:
			fmt.Fprintf(&b, `{"name": %q, "unchecked": true}`, name)
		}
	}
	b.WriteString("]}")
	return mustParse(tb, b.String())
}

func benchName(i int) string {
	return fmt.Sprintf("%s | %s %d", benchWeapons[i%len(benchWeapons)], benchFinishes[i/len(benchWeapons)%len(benchFinishes)], i)
}

// BenchmarkMatch measures one decision against a 10,000-entry whitelist: a hit
// that passes every bound, a hit rejected on markup, and a miss. Each must
// report 0 allocs/op.
func BenchmarkMatch(b *testing.B) {
	l := benchList(b, 10_000)
	cases := []decision{
		{"hit", trade("★ StatTrak™ "+strings.TrimPrefix(benchName(9_987), "★ ")+" (Field-Tested)", 5, 100), Matched},
		{"rejected", trade(benchName(4_242)+" (Well-Worn)", 30, 100), MarkupTooHigh},
		{"miss", trade("AK-47 | Redline (Field-Tested)", 5, 100), NoEntry},
	}
	benchDecisions(b, l, cases)
}

// decision is a trade and the reason Match must give it.
type decision = struct {
	name  string
	trade messages.Trade
	want  Reason
}

// benchDecisions checks each case's decision, then measures it.
func benchDecisions(b *testing.B, l *List, cases []decision) {
	for _, c := range cases {
		if _, got := l.Match(&c.trade); got != c.want {
			b.Fatalf("%s: Match(%q) = %v, want %v", c.name, c.trade.MarketName, got, c.want)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.Match(&c.trade)
			}
		})
	}
}

// BenchmarkMatchConditions measures decisions that reach the item
// conditions: a Doppler in a wanted and an unwanted phase, a float bound, and
// stickers compared by name.
func BenchmarkMatchConditions(b *testing.B) {
	l := mustParse(b, matchList)
	cases := []decision{
		{"phase", trade("★ Bayonet | Doppler Ruby (Factory New)", 5, 1000), Matched},
		{"wrong phase", trade("★ Bayonet | Doppler Phase 2 (Factory New)", 5, 1000), WrongPhase},
		{"float", withFloat(trade("AK-47 | Case Hardened (Minimal Wear)", 5, 100), 0.08), Matched},
		{"stickers", withStickers(trade("AWP | Atheris (Field-Tested)", 5, 10), "Spirit | 2020 RMR", "FaZe Clan | Paris 2023", "Natus Vincere (Holo) | Stockholm 2021", "Crown (Foil)"), Matched},
	}
	benchDecisions(b, l, cases)
}

// TestMatchBigListDoesNotAllocate is the benchmark's 0 allocs/op as a test, so
// that it fails in go test and not only when someone reads a benchmark.
func TestMatchBigListDoesNotAllocate(t *testing.T) {
	l := benchList(t, 10_000)
	if l.Len() != 10_000 {
		t.Fatalf("Len() = %d, want 10000", l.Len())
	}
	tr := trade(benchName(4_242)+" (Well-Worn)", 5, 100)
	if _, r := l.Match(&tr); r != Matched {
		t.Fatalf("Match(%q) = %v, want matched", tr.MarketName, r)
	}
	if got := testing.AllocsPerRun(1000, func() { l.Match(&tr) }); got != 0 {
		t.Errorf("Match allocates %v times a run, want 0", got)
	}
}

// BenchmarkParse measures loading a 10,000-entry whitelist, which a reload
// does off the hot path.
func BenchmarkParse(b *testing.B) {
	data := func() []byte {
		var sb strings.Builder
		sb.WriteString(`{"items": [`)
		for i := range 10_000 {
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `{"name": %q, "unchecked": true}`, benchName(i))
		}
		sb.WriteString("]}")
		return []byte(sb.String())
	}()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
