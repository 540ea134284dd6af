package fakeroll

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/messages"
)

// fixtureTrades returns the trades of the real frames as generic JSON, those
// of the older createTrade shape and those of the current one.
func fixtureTrades(t *testing.T) (legacy, current []map[string]any) {
	t.Helper()
	frames := fixtures.Frames(t)
	for _, f := range frames {
		var msg struct {
			Payload struct {
				Data struct {
					CreateTrades *struct{ Trades []map[string]any } `json:"createTrades"`
					CreateTrade  *struct{ Trade map[string]any }    `json:"createTrade"`
				} `json:"data"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(f, &msg); err != nil {
			t.Fatalf("fixture %s: %v", f, err)
		}
		if d := msg.Payload.Data; d.CreateTrades != nil {
			current = append(current, d.CreateTrades.Trades...)
		} else if d.CreateTrade != nil {
			legacy = append(legacy, d.CreateTrade.Trade)
		}
	}
	if len(legacy) < 3 || len(current) < 2 {
		t.Fatalf("found %d createTrade and %d createTrades fixture trades", len(legacy), len(current))
	}
	return legacy, current
}

// shape maps each field path of some trades ("tradeItems[].itemVariant.value")
// to the JSON kinds seen there.
type shape map[string]map[string]bool

func (s shape) add(path string, v any) {
	kind := "null"
	switch v := v.(type) {
	case string:
		kind = "string"
	case float64:
		kind = "number"
	case bool:
		kind = "bool"
	case []any:
		kind = "array"
		for _, e := range v {
			s.add(path+"[]", e)
		}
	case map[string]any:
		kind = "object"
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			s.add(p, e)
		}
	}
	if path == "" {
		return
	}
	if s[path] == nil {
		s[path] = map[string]bool{}
	}
	s[path][kind] = true
}

func (s shape) paths() []string {
	var out []string
	for p := range s {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func shapeOf(trades ...map[string]any) shape {
	s := shape{}
	for _, tr := range trades {
		s.add("", tr)
	}
	return s
}

func generatedShape(t *testing.T, current bool) shape {
	t.Helper()
	g := NewGenerator(11)
	now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	s := shape{}
	for i := range 2000 {
		tr := g.Next(now.Add(time.Duration(i) * time.Second))
		var v map[string]any
		if err := json.Unmarshal(appendTrade(nil, &tr, current), &v); err != nil {
			t.Fatal(err)
		}
		s.add("", v)
	}
	return s
}

// TestGeneratedTradesHaveTheFixturesFields shows a generated trade carries
// exactly the fields the real frames of the same shape carry, with values of
// the same JSON kinds.
func TestGeneratedTradesHaveTheFixturesFields(t *testing.T) {
	legacy, current := fixtureTrades(t)
	// The current shape is the older one plus the newer fields.
	wantCurrent := shapeOf(append(append([]map[string]any(nil), legacy...), current...)...)
	tests := []struct {
		name    string
		current bool
		want    shape
	}{
		{"createTrade", false, shapeOf(legacy...)},
		{"createTrades", true, wantCurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := generatedShape(t, tt.current)
			if g, w := got.paths(), tt.want.paths(); !reflect.DeepEqual(g, w) {
				t.Fatalf("generated fields\n%v\nfixture fields\n%v", g, w)
			}
			for path, kinds := range got {
				for kind := range kinds {
					if kind != "null" && !tt.want[path][kind] && !onlyNull(tt.want[path]) {
						t.Errorf("%s is a %s; the fixtures have %v", path, kind, tt.want[path])
					}
				}
			}
		})
	}
}

func onlyNull(kinds map[string]bool) bool {
	return len(kinds) == 1 && kinds["null"]
}

// TestFixturesRoundTrip shows a real trade read into Trade is sent back as it
// came, field for field, in its own shape.
func TestFixturesRoundTrip(t *testing.T) {
	legacy, current := fixtureTrades(t)
	check := func(raw map[string]any, isCurrent bool) {
		data, _ := json.Marshal(raw)
		var tr Trade
		if err := json.Unmarshal(data, &tr); err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(appendTrade(nil, &tr, isCurrent), &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, raw) {
			t.Errorf("re-encoded\n%v\nwant\n%v", got, raw)
		}
	}
	for _, raw := range legacy {
		check(raw, false)
	}
	for _, raw := range current {
		check(raw, true)
	}
}

var msTime = regexp.MustCompile(`^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$`)

func TestGeneratorRelations(t *testing.T) {
	byName := map[string]*item{}
	for i := range catalogue {
		byName[catalogue[i].brand+"|"+catalogue[i].name] = &catalogue[i]
	}
	g := NewGenerator(42)
	start := time.Date(2026, 5, 1, 12, 0, 0, 123_456_789, time.FixedZone("CEST", 2*3600))
	const n = 3000
	var modest, outliers, statTraks, souvenirs, worn, unworn, stickered, multi int
	for i := range n {
		now := start.Add(time.Duration(i) * 1500 * time.Millisecond)
		tr := g.Next(now)
		created := now.UTC().Truncate(time.Millisecond)
		if !tr.CreatedAt.Equal(created) || tr.CreatedAt.Location() != time.UTC || !tr.UpdatedAt.Equal(created) {
			t.Fatalf("createdAt %v, updatedAt %v for now %v", tr.CreatedAt, tr.UpdatedAt, now)
		}
		if got := appendTime(nil, tr.CreatedAt); !msTime.Match(got) {
			t.Fatalf("createdAt encodes as %s", got)
		}
		if tr.Status != "LISTED" || tr.Depositor != nil || tr.Withdrawer != nil || tr.JoinedAt != nil {
			t.Fatalf("trade %d is not a new public listing: %+v", i, tr)
		}
		checkRelayID(t, tr.ID, "Trade")
		if a := tr.CanJoinAfter; a != nil && (tr.CanJoin || !a.After(created) || a.Sub(created) > 46*time.Second) {
			t.Fatalf("canJoinAfter %v for a trade created %v, canJoin %t", a, created, tr.CanJoin)
		}
		switch m := tr.MarkupPercent; {
		case m < 0 || m > 50_000:
			t.Fatalf("markup %v", m)
		case m <= 40:
			modest++
		case m >= 1000:
			outliers++
		}

		var sum float64
		var hasWear, hasStickers bool
		for _, it := range tr.TradeItems {
			v := it.ItemVariant
			checkRelayID(t, it.ID, "TradeItem")
			checkRelayID(t, v.ID, "ItemVariant")
			checkRelayID(t, v.ItemID, "Item")
			if want := cents(v.Value * (1 + tr.MarkupPercent/100)); it.Value != want || it.MarkupPercent != tr.MarkupPercent {
				t.Fatalf("%s: value %v at markup %v of %v, want %v", it.MarketName, it.Value, tr.MarkupPercent, v.Value, want)
			}
			sum += it.Value
			cat := byName[v.Brand+"|"+v.Name]
			if cat == nil {
				t.Fatalf("%s/%s is not in the catalogue", v.Brand, v.Name)
			}
			checkMarketName(t, it, cat)
			if v.Color != "" {
				hasWear = true
			}
			if len(it.Stickers) > 0 {
				hasStickers = true
			}
			if strings.Contains(it.MarketName, "StatTrak™") {
				statTraks++
			}
			if strings.HasPrefix(it.MarketName, "Souvenir ") {
				souvenirs++
			}
		}
		if tr.TotalValue != cents(sum) {
			t.Fatalf("total %v, items sum to %v", tr.TotalValue, sum)
		}
		if tr.HasStickers != hasStickers {
			t.Fatalf("hasStickers %t with stickers %t", tr.HasStickers, hasStickers)
		}
		if (tr.AvgPaintWear != nil) != hasWear || (tr.AvgPaintWearRange != nil) != hasWear {
			t.Fatalf("avgPaintWear %v, range %v on a trade with wear %t", tr.AvgPaintWear, tr.AvgPaintWearRange, hasWear)
		}
		if hasWear && (*tr.AvgPaintWear < tr.AvgPaintWearRange.Min || *tr.AvgPaintWear > tr.AvgPaintWearRange.Max) {
			t.Fatalf("avgPaintWear %v outside %v", *tr.AvgPaintWear, *tr.AvgPaintWearRange)
		}
		if hasWear {
			worn++
		} else {
			unworn++
		}
		if hasStickers {
			stickered++
		}
		if len(tr.TradeItems) > 1 {
			multi++
		}
	}
	if modest < n*85/100 || outliers == 0 || statTraks == 0 || souvenirs == 0 || worn == 0 || unworn == 0 || stickered == 0 || multi == 0 {
		t.Errorf("of %d trades: %d markups within 40%%, %d from 1000%%, %d StatTrak, %d Souvenir, %d with wear, %d without, %d with stickers, %d with several items",
			n, modest, outliers, statTraks, souvenirs, worn, unworn, stickered, multi)
	}
}

// checkMarketName checks an item's name against its catalogue entry: the
// StatTrak™ and Souvenir prefixes only where the item comes so, never both,
// the wear tier in the color and the name's tail only on items with wear.
func checkMarketName(t *testing.T, it TradeItem, cat *item) {
	t.Helper()
	name, v := it.MarketName, it.ItemVariant
	st := strings.Contains(name, "StatTrak™")
	sv := strings.HasPrefix(name, "Souvenir ")
	switch {
	case st && (cat.prefix != statTrak || sv):
		t.Fatalf("%s: StatTrak™ on an item that does not come so", name)
	case sv && cat.prefix != souvenir:
		t.Fatalf("%s: Souvenir on an item that does not come so", name)
	case st && strings.HasPrefix(cat.brand, "★ ") && !strings.HasPrefix(name, "★ StatTrak™ "):
		t.Fatalf("%s: a StatTrak™ knife is named ★ StatTrak™ ...", name)
	case strings.HasPrefix(cat.brand, "★ ") != strings.HasPrefix(name, "★ "):
		t.Fatalf("%s: the ★ prefix does not match the brand %q", name, cat.brand)
	case v.ExternalID != name:
		t.Fatalf("%s: externalId %q", name, v.ExternalID)
	}
	w, ok := messages.ParseWear(v.Color)
	if len(cat.wears) == 0 {
		if v.Color != "" {
			t.Fatalf("%s: wear %q on an item without wear", name, v.Color)
		}
		for _, w := range messages.Wears {
			if strings.HasSuffix(name, " ("+string(w)+")") {
				t.Fatalf("%s: a wear tier on an item without wear", name)
			}
		}
		return
	}
	if !ok || !strings.HasSuffix(name, " ("+string(w)+")") || !containsWear(cat.wears, w) {
		t.Fatalf("%s: color %q, tiers %v", name, v.Color, cat.wears)
	}
}

func containsWear(ws []messages.Wear, w messages.Wear) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}

// checkRelayID checks id is unpadded standard base64 of "<typ>:<number>".
func checkRelayID(t *testing.T, id, typ string) {
	t.Helper()
	raw, err := base64.RawStdEncoding.DecodeString(id)
	if err != nil || !regexp.MustCompile(`^`+typ+`:[1-9][0-9]*$`).Match(raw) {
		t.Fatalf("id %q decodes to %q (%v), want %s:<n>", id, raw, err, typ)
	}
}

func TestRelayIDMatchesTheFeed(t *testing.T) {
	if got := relayID("Trade", 32993472); got != "VHJhZGU6MzI5OTM0NzI" {
		t.Errorf("relayID = %q", got)
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b, c := NewGenerator(5), NewGenerator(5), NewGenerator(6)
	ta, tb, tc := a.Next(now), b.Next(now), c.Next(now)
	if !reflect.DeepEqual(ta, tb) {
		t.Error("the same seed gave different trades")
	}
	if reflect.DeepEqual(ta, tc) {
		t.Error("different seeds gave the same trade")
	}
}

func TestCatalogue(t *testing.T) {
	if len(catalogue) < 40 {
		t.Errorf("%d catalogue items, want at least 40", len(catalogue))
	}
	ids, kinds := map[uint64]bool{}, map[kind]int{}
	for _, it := range catalogue {
		if ids[it.id] {
			t.Errorf("item id %d twice", it.id)
		}
		ids[it.id] = true
		kinds[it.kind]++
		star := it.kind == kindKnife || it.kind == kindGloves
		if strings.HasPrefix(it.brand, "★ ") != star {
			t.Errorf("%s: ★ prefix on %q", it.name, it.brand)
		}
		if it.kind == kindGloves && it.prefix != plain {
			t.Errorf("%s %s: gloves come plain only", it.brand, it.name)
		}
		if (len(it.wears) == 0) != (it.kind >= kindSticker) || len(it.wears) == 0 && it.prefix != plain {
			t.Errorf("%s %s: wears %v, prefix %v", it.brand, it.name, it.wears, it.prefix)
		}
		if it.price <= 0 {
			t.Errorf("%s %s: price %v", it.brand, it.name, it.price)
		}
	}
	for k := kindRifle; k <= kindContainer; k++ {
		if kinds[k] == 0 {
			t.Errorf("no item of kind %d", k)
		}
	}
}
