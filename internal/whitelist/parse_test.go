package whitelist

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rollsniper/rollsniper/messages"
)

// wearHelp is the end of every unknown-wear message.
const wearHelp = "use Factory New, Minimal Wear, Field-Tested, Well-Worn, Battle-Scarred (or FN, MW, FT, WW, BS), none, or any"

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"empty file", "  \n", []string{`whitelist: the file is empty: write {"items": [{"name": "AK-47 | Redline"}]}`}},
		{"cut short", `{"items": [`, []string{"end of file: the JSON ends too early: close every quote, [ and { that is open"}},
		{"syntax error with line and column", "{\n  \"items\": [\n    {\"name\": \"a\",}\n  ]\n}", []string{
			"line 3, column 18: invalid character '}' looking for beginning of object key string: check for a missing or extra comma, quote or bracket"}},
		{"not an object", `[]`, []string{`whitelist: want an object like {"items": [{"name": "AK-47 | Redline"}]}, got []`}},
		{"no items", `{}`, []string{`items: missing: list the items to watch, e.g. "items": [{"name": "AK-47 | Redline"}]`}},
		{"empty items", `{"items": []}`, []string{`items: empty: add at least one entry, e.g. {"name": "AK-47 | Redline"}`}},
		{"items not a list", `{"items": {"name": "a"}}`, []string{`items: want a list of entries, got {"name": "a"}`}},
		{"unknown top-level keys", `{"item": [], "defualts": {}, "colour": 1, "items": [{"name": "AK-47 | Redline"}]}`, []string{
			`whitelist: unknown key "item": did you mean "items"?`,
			`whitelist: unknown key "defualts": did you mean "defaults"?`,
			`whitelist: unknown key "colour": use "defaults", "items"`}},
		{"defaults", `{"defaults": {"name": "x", "maxmarkup": 3, "max_markup": -1, "min_price": 50, "max_price": 40, "wear": "Fresh"}, "items": [{"name": "AK-47 | Redline"}]}`, []string{
			`defaults: "name" belongs on each entry in items, not in defaults`,
			`defaults: unknown key "maxmarkup": did you mean "max_markup"?`,
			`defaults.wear: unknown wear tier "Fresh": ` + wearHelp,
			`defaults.max_markup: -1 is negative: use a markup in percent of 0 or more, or null for no limit`,
			`defaults.min_price: 50 is above max_price 40: lower min_price or raise max_price`}},
		{"defaults not an object", `{"defaults": [], "items": [{"name": "AK-47 | Redline"}]}`, []string{`defaults: want an object like {"max_markup": 10}, got []`}},
		{"every field of an entry", `{"items": [{"name": "AK-47 | Redline", "wear": ["FN", "Fresh", 3], "stattrak": "maybe", "souvenir": 1, "max_markup": "8%",
			"min_price": -2, "max_price": "lots", "joinable_only": "yes", "Max-Markup": 1}]}`, []string{
			`items[0]: unknown key "Max-Markup": did you mean "max_markup"?`,
			`items[0].wear[1]: unknown wear tier "Fresh": ` + wearHelp,
			`items[0].wear[2]: want a wear tier, got 3`,
			`items[0].stattrak: want "yes", "no" or "any" (or true or false), got "maybe"`,
			`items[0].souvenir: want "yes", "no" or "any" (or true or false), got 1`,
			`items[0].max_markup: want a number, got the string "8%": write 8 without quotes`,
			`items[0].min_price: -2 is negative: use a price in coins of 0 or more, or null for no limit`,
			`items[0].max_price: want a price in coins, or null for no limit, got "lots"`,
			`items[0].joinable_only: want true or false, got "yes"`}},
		{"wear shapes", `{"items": [{"name": "AK-47 | Redline", "wear": "Fresh"}, {"name": "AK-47 | Vulcan", "wear": []}, {"name": "AWP | Asiimov", "wear": {"x": 1}}]}`, []string{
			`items[0].wear: unknown wear tier "Fresh": ` + wearHelp,
			`items[1].wear: empty list: name at least one tier, or use "any"`,
			`items[2].wear: want a wear tier or a list of them, e.g. "Field-Tested" or ["FN", "MW"], got {"x": 1}`}},
		{"min above max", `{"defaults": {"min_price": 10}, "items": [{"name": "AK-47 | Redline", "max_price": 5}, {"name": "AK-47 | Vulcan", "min_price": 7, "max_price": 6}]}`, []string{
			`items[0].min_price: 10 (from defaults) is above max_price 5: lower min_price or raise max_price`,
			`items[1].min_price: 7 is above max_price 6: lower min_price or raise max_price`}},
		{"names", `{"items": [{"name": "  "}, {"name": "StatTrak™ (Factory New)"}, {}, "x", {"name": 3}, {"name": "AK-47 | Redline", "name": "AK-47 | Vulcan"}]}`, []string{
			`items[0].name: empty: name the item, e.g. "AK-47 | Redline"`,
			`items[1].name: "StatTrak™ (Factory New)" names no item once its prefixes and wear are removed: add the weapon and skin, e.g. "AK-47 | Redline"`,
			`items[2].name: missing: name the item, e.g. "name": "AK-47 | Redline"`,
			`items[3]: want an object like {"name": "AK-47 | Redline"}, got "x"`,
			`items[4].name: want the item's name as a string, got 3`,
			`items[5]: key "name" appears twice: keep one`}},
		{"name too long", `{"items": [{"name": "` + strings.Repeat("x", 300) + `"}]}`, []string{`items[0].name: too long: at most 250 bytes`}},
		{"name contradicts fields", `{"items": [
			{"name": "StatTrak™ AK-47 | Redline (Field-Tested)", "stattrak": "no", "wear": "MW", "souvenir": true},
			{"name": "Souvenir AWP | Dragon Lore", "souvenir": "no", "stattrak": "yes"},
			{"name": "AK-47 | Vulcan", "stattrak": "yes", "souvenir": "yes"},
			{"name": "StatTrak™ Souvenir AK-47 | Redline"}]}`, []string{
			`items[0].stattrak: "no" contradicts the name's StatTrak™ prefix: remove one of them`,
			`items[0].souvenir: "yes" contradicts the name's StatTrak™ prefix (no item is both): remove one of them`,
			`items[0].wear: Minimal Wear contradicts the name's (Field-Tested): remove one of them`,
			`items[1].souvenir: "no" contradicts the name's Souvenir prefix: remove one of them`,
			`items[1].stattrak: "yes" contradicts the name's Souvenir prefix (no item is both): remove one of them`,
			`items[2]: stattrak and souvenir are both "yes", which no item is: set one of them to "no" or "any"`,
			`items[3].name: "StatTrak™ Souvenir AK-47 | Redline" has both a StatTrak™ and a Souvenir prefix, which no item has: remove one`}},
		{"duplicates", `{"items": [
			{"name": "AK-47 | Vulcan"},
			{"name": "ak-47 | vulcan (Field-Tested)", "max_markup": 3},
			{"name": "StatTrak™ AK-47 | Vulcan"},
			{"name": "AK-47 | Vulcan", "stattrak": "any", "wear": "BS"},
			{"name": "AK-47 | Redline", "wear": "FT"}]}`, []string{
			`items[1]: duplicate of items[0]: both match AK-47 | Vulcan, Field-Tested, not StatTrak or Souvenir: remove one, or narrow their wear, stattrak, souvenir or phase so they do not overlap`,
			`items[3]: duplicate of items[0]: both match AK-47 | Vulcan, Battle-Scarred, not StatTrak or Souvenir: remove one, or narrow their wear, stattrak, souvenir or phase so they do not overlap`,
			`items[3]: duplicate of items[2]: both match AK-47 | Vulcan, Battle-Scarred, StatTrak: remove one, or narrow their wear, stattrak, souvenir or phase so they do not overlap`}},
		{"a long value is clipped", `{"items": [{"name": "AK-47 | Redline", "wear": "` + strings.Repeat("é", 100) + `"}]}`, []string{
			`items[0].wear: unknown wear tier "` + strings.Repeat("é", 30) + `…": ` + wearHelp}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, tt.file, tt.want)
		})
	}
}

// checkProblems parses file and checks that it fails with exactly want, and
// that the error says them one a line.
func checkProblems(t *testing.T, file string, want []string) {
	t.Helper()
	l, err := Parse([]byte(file))
	if l != nil {
		t.Errorf("Parse returned a list with %d entries, want nil", l.Len())
	}
	ve, ok := errors.AsType[*ValidationError](err)
	if !ok {
		t.Fatalf("Parse error = %v (%T), want a *ValidationError", err, err)
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err.Error() != strings.Join(want, "\n") {
		t.Errorf("Error() = %q, want the problems one a line", err.Error())
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		file string
		want Entry
	}{
		{"built-in defaults", `{"items": [{"name": "AK-47 | Redline"}]}`,
			Entry{Name: "AK-47 | Redline", Wears: AnyWear, StatTrak: No, Souvenir: No, MaxMarkup: math.Inf(1), MaxPrice: math.Inf(1), JoinableOnly: true, MaxFloat: 1}},
		{"file defaults", `{"defaults": {"wear": "ft", "stattrak": "any", "souvenir": false, "max_markup": 12, "min_price": 1, "max_price": 50, "joinable_only": false}, "items": [{"name": "AK-47 | Redline"}]}`,
			Entry{Name: "AK-47 | Redline", Wears: 1 << 3, StatTrak: Any, Souvenir: No, MaxMarkup: 12, MinPrice: 1, MaxPrice: 50, MaxFloat: 1}},
		{"null lifts a default", `{"defaults": {"max_markup": 12, "min_price": 3, "max_price": 50}, "items": [{"name": "AK-47 | Redline", "max_markup": null, "min_price": null, "max_price": null}]}`,
			Entry{Name: "AK-47 | Redline", Wears: AnyWear, MaxMarkup: math.Inf(1), MaxPrice: math.Inf(1), JoinableOnly: true, MaxFloat: 1}},
		{"the name's prefix and suffix win over the defaults", `{"defaults": {"stattrak": "no", "wear": "FN"}, "items": [{"name": "StatTrak™ AK-47 | Redline (Well-Worn)"}]}`,
			Entry{Name: "AK-47 | Redline", Wears: 1 << 4, StatTrak: Yes, MaxMarkup: math.Inf(1), MaxPrice: math.Inf(1), JoinableOnly: true, MaxFloat: 1}},
		{"souvenir prefix, stattrak any", `{"items": [{"name": "Souvenir AWP | Dragon Lore", "stattrak": "any", "souvenir": "any"}]}`,
			Entry{Name: "AWP | Dragon Lore", Wears: AnyWear, Souvenir: Yes, MaxMarkup: math.Inf(1), MaxPrice: math.Inf(1), JoinableOnly: true, MaxFloat: 1}},
		{"wear list, none and any", `{"items": [{"name": "★  Karambit", "wear": ["none", "Battle-Scarred"], "unchecked": true}]}`,
			Entry{Name: "★ Karambit", Wears: 1 | 1<<5, MaxMarkup: math.Inf(1), MaxPrice: math.Inf(1), JoinableOnly: true, MaxFloat: 1, Unchecked: true}},
	}
	bowie := Entry{Name: "★ Bowie Knife | Gamma Doppler", Wears: AnyWear, MaxMarkup: math.Inf(1), MaxPrice: math.Inf(1), JoinableOnly: true, MaxFloat: 1,
		Phases: 1 << messages.Phase1}
	tests = append(tests, []struct {
		name string
		file string
		want Entry
	}{
		// CSGORoll's spelling and the catalogue's give the same entry.
		{"Doppler phase in the name", `{"items": [{"name": "★ Bowie Knife | Gamma Doppler Phase 1"}]}`, bowie},
		{"Doppler phase as a key", `{"items": [{"name": "bowie knife | GAMMA doppler", "phase": "phase 1"}]}`, bowie},
		{"phase in both, agreeing", `{"items": [{"name": "★ Bowie Knife | Gamma Doppler Phase 1", "phase": ["Phase 1", "Phase 2"]}]}`, bowie},
		{"phases", `{"items": [{"name": "★ Karambit | Doppler", "phase": ["Ruby", "Sapphire", "Black Pearl"]}]}`,
			Entry{Name: "★ Karambit | Doppler", Wears: AnyWear, MaxMarkup: math.Inf(1), MaxPrice: math.Inf(1), JoinableOnly: true, MaxFloat: 1,
				Phases: 1<<messages.PhaseRuby | 1<<messages.PhaseSapphire | 1<<messages.PhaseBlackPearl}},
		{"any phase", `{"items": [{"name": "★ Karambit | Doppler", "phase": "any"}]}`,
			Entry{Name: "★ Karambit | Doppler", Wears: AnyWear, MaxMarkup: math.Inf(1), MaxPrice: math.Inf(1), JoinableOnly: true, MaxFloat: 1}},
		{"float and stickers", `{"items": [{"name": "AWP | Atheris", "min_float": 0.01, "max_float": 0.07, "min_stickers": 2,
			"any_sticker": ["Sticker | Crown (Foil)", " titan (holo) |  Katowice 2014"]}]}`,
			Entry{Name: "AWP | Atheris", Wears: AnyWear, MaxMarkup: math.Inf(1), MaxPrice: math.Inf(1), JoinableOnly: true,
				MinFloat: 0.01, MaxFloat: 0.07, MinStickers: 2, AnySticker: []string{"Crown (Foil)", "titan (holo) | Katowice 2014"},
				stickerKeys: []string{"crown(foil)", "titan(holo)|katowice2014"}}},
		{"one sticker, null bounds", `{"items": [{"name": "AWP | Atheris", "min_float": null, "max_float": null, "min_stickers": null, "any_sticker": "Crown (Foil)"}]}`,
			Entry{Name: "AWP | Atheris", Wears: AnyWear, MaxMarkup: math.Inf(1), MaxPrice: math.Inf(1), JoinableOnly: true, MaxFloat: 1,
				AnySticker: []string{"Crown (Foil)"}, stickerKeys: []string{"crown(foil)"}}},
		{"the catalogue's spelling", `{"items": [{"name": "m4a4 | 龍王 (dragon KING)"}]}`,
			Entry{Name: "M4A4 | 龍王 (Dragon King)", Wears: AnyWear, MaxMarkup: math.Inf(1), MaxPrice: math.Inf(1), JoinableOnly: true, MaxFloat: 1}},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustParse(t, tt.file)
			got := l.Entry(0)
			got.desc = ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Entry(0) = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestParseKeys checks how many index keys "any" expands to: every tier and
// none, and every StatTrak/Souvenir variant but both at once.
func TestParseKeys(t *testing.T) {
	tests := []struct {
		file string
		want int
	}{
		{`{"items": [{"name": "AK-47 | Vulcan"}]}`, 6},
		{`{"items": [{"name": "AK-47 | Vulcan", "stattrak": "any", "souvenir": "any"}]}`, 18},
		{`{"items": [{"name": "AK-47 | Vulcan", "wear": ["FN", "MW"], "stattrak": "any"}]}`, 4},
		{`{"items": [{"name": "AK-47 | Vulcan (Factory New)"}, {"name": "AK-47 | Vulcan (Minimal Wear)"}]}`, 2},
		// A Doppler without a phase is indexed under every phase and none;
		// with phases, under those (and a marker Keys leaves out).
		{`{"items": [{"name": "★ Karambit | Doppler"}]}`, 6 * 9},
		{`{"items": [{"name": "★ Karambit | Doppler", "phase": ["Ruby", "Sapphire"], "wear": "FN"}]}`, 2},
		{`{"items": [{"name": "★ Karambit | Doppler Ruby (Factory New)"}, {"name": "★ Karambit | Doppler Sapphire (Factory New)"}]}`, 2},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.file).Keys(); got != tt.want {
			t.Errorf("Parse(%s).Keys() = %d, want %d", tt.file, got, tt.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"items": [{"name": "AK-47 | Redline"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"items": [{"name": "AK-47 | Redline", "wear": "Fresh"}, {"nme": "b"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}

	l, err := Load(good)
	if err != nil || l.Len() != 1 {
		t.Errorf("Load(good) = %v, %v; want 1 entry", l, err)
	}

	_, err = Load(bad)
	want := bad + `: items[0].wear: unknown wear tier "Fresh": ` + wearHelp + "\n" +
		bad + `: items[1]: unknown key "nme": did you mean "name"?` + "\n" +
		bad + `: items[1].name: missing: name the item, e.g. "name": "AK-47 | Redline"`
	if err == nil || err.Error() != want {
		t.Errorf("Load(bad) error:\n%v\nwant:\n%s", err, want)
	}

	_, err = Load(filepath.Join(dir, "missing.json"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("Load(missing) = %v, want an error wrapping fs.ErrNotExist that names the file", err)
	}
}

// TestExampleFile loads the example whitelist at the top of the repository.
func TestExampleFile(t *testing.T) {
	l, err := Load(filepath.Join("..", "..", "whitelist.example.json"))
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() < 8 {
		t.Errorf("the example has %d entries; it should show every feature", l.Len())
	}
	if w := l.Warnings(); len(w) > 0 {
		t.Errorf("the example has warnings: %v", w)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "whitelist.example.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range itemKeys {
		if !strings.Contains(string(data), `"`+key+`"`) {
			t.Errorf("the example does not show %q", key)
		}
	}
}
