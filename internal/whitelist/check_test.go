package whitelist

import (
	"slices"
	"strings"
	"testing"
)

// uncheckedNote ends the message of every name the catalogue does not know.
const uncheckedNote = ` (an item newer than the catalogue can stay as written with "unchecked": true on its entry)`

// TestParseChecksCatalogue holds entries to the item catalogue: names that
// are no item, with the closest real one, and wears, StatTrak™ versions,
// phases, floats and stickers the item does not come in.
func TestParseChecksCatalogue(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"misspellings, weapon and finish apart", `{"items": [
			{"name": "AK-47 | Redlien"}, {"name": "AK47 | Redline"}, {"name": "Karambit | Dopler"},
			{"name": "AK47 Redline"}, {"name": "Karambit Dopler"}, {"name": "asdfghjkl"},
			{"name": "★ StatTrak™ Karambit | Dopler Phase 2 (Factory New)"}]}`, []string{
			`items[0].name: AK-47 has no finish "Redlien": did you mean "AK-47 | Redline"?` + uncheckedNote,
			`items[1].name: unknown weapon "AK47": did you mean "AK-47 | Redline"?` + uncheckedNote,
			`items[2].name: ★ Karambit has no finish "Dopler": did you mean "★ Karambit | Doppler"?` + uncheckedNote,
			`items[3].name: unknown item "AK47 Redline": did you mean "AK-47 | Redline"?` + uncheckedNote,
			`items[4].name: unknown item "Karambit Dopler": did you mean "★ Karambit | Doppler"?` + uncheckedNote,
			`items[5].name: unknown item "asdfghjkl": write the weapon, then " | ", then the finish, e.g. "AK-47 | Redline"` + uncheckedNote,
			`items[6].name: ★ Karambit has no finish "Dopler": did you mean "★ Karambit | Doppler Phase 2"?` + uncheckedNote,
		}},
		{"a wrong name beside other problems", `{"items": [{"name": "AK47 | Redline", "wear": "Fresh", "stattrak": "yes"}]}`, []string{
			`items[0].wear: unknown wear tier "Fresh": use Factory New, Minimal Wear, Field-Tested, Well-Worn, Battle-Scarred (or FN, MW, FT, WW, BS), none, or any`,
			`items[0].name: unknown weapon "AK47": did you mean "AK-47 | Redline"?` + uncheckedNote,
		}},
		{"what the item can be is checked against valid fields only", `{"items": [{"name": "AK-47 | Bloodsport", "wear": ["BS", "Fresh"], "max_price": -1}]}`, []string{
			`items[0].wear[1]: unknown wear tier "Fresh": use Factory New, Minimal Wear, Field-Tested, Well-Worn, Battle-Scarred (or FN, MW, FT, WW, BS), none, or any`,
			`items[0].max_price: -1 is negative: use a price in coins of 0 or more, or null for no limit`,
		}},
		{"wears the skin never has", `{"items": [
			{"name": "AK-47 | Bloodsport (Battle-Scarred)"},
			{"name": "AK-47 | Bloodsport", "wear": ["FN", "BS"]},
			{"name": "AK-47 | Redline", "wear": ["none", "FT"]},
			{"name": "★ Karambit", "wear": "FT"},
			{"name": "Special Agent Ava | FBI", "wear": ["none", "Factory New"]}]}`, []string{
			`items[0].name: AK-47 | Bloodsport is never Battle-Scarred: its float range 0-0.45 gives Factory New, Minimal Wear, Field-Tested or Well-Worn`,
			`items[1].wear: AK-47 | Bloodsport is never Battle-Scarred: its float range 0-0.45 gives Factory New, Minimal Wear, Field-Tested or Well-Worn`,
			`items[2].wear: AK-47 | Redline always has a wear: "none" is for items without one`,
			`items[3].wear: ★ Karambit (without a finish) has no wear: use "none" or leave wear out`,
			`items[4].wear: Special Agent Ava | FBI (an agent) has no wear: use "none" or leave wear out`,
		}},
		{"defaults' wear is a problem only when it leaves nothing", `{"defaults": {"wear": ["FN", "MW"]}, "items": [
			{"name": "AK-47 | Redline"}, {"name": "AWP | Asiimov"}]}`, []string{
			`items[1].wear: Factory New or Minimal Wear (from defaults) leaves nothing of AWP | Asiimov, which comes Field-Tested, Well-Worn or Battle-Scarred: set wear on this entry`,
		}},
		{"StatTrak™ of a skin without it", `{"defaults": {"stattrak": "yes"}, "items": [
			{"name": "★ Sport Gloves | Pandora's Box"},
			{"name": "StatTrak™ AK-47 | Baroque Purple"},
			{"name": "AK-47 | Baroque Purple", "stattrak": true},
			{"name": "AK-47 | Baroque Purple", "stattrak": "any", "wear": "FN"},
			{"name": "Special Agent Ava | FBI", "stattrak": "no"}]}`, []string{
			`items[0].stattrak: "yes" (from defaults): ★ Sport Gloves | Pandora's Box has no StatTrak™ version: set stattrak to "no" on this entry`,
			`items[1].name: AK-47 | Baroque Purple has no StatTrak™ version: remove the StatTrak™ prefix`,
			`items[2].stattrak: AK-47 | Baroque Purple has no StatTrak™ version: set stattrak to "no"`,
		}},
		{"phases", `{"items": [
			{"name": "★ Karambit | Doppler Emerald"},
			{"name": "★ Karambit | Doppler", "phase": ["Emerald", "Ruby"]},
			{"name": "★ Bowie Knife | Gamma Doppler", "phase": "Ruby"},
			{"name": "AK-47 | Redline", "phase": "Ruby"},
			{"name": "★ Karambit | Doppler Ruby", "phase": "Sapphire"},
			{"name": "★ Karambit | Doppler Ruby", "phase": ["Ruby", "Sapphire"], "wear": "FN"}]}`, []string{
			`items[0].name: ★ Karambit | Doppler has no Emerald: it comes in Phase 1, Phase 2, Phase 3, Phase 4, Ruby, Sapphire or Black Pearl`,
			`items[1].phase: ★ Karambit | Doppler has no Emerald: it comes in Phase 1, Phase 2, Phase 3, Phase 4, Ruby, Sapphire or Black Pearl`,
			`items[2].phase: ★ Bowie Knife | Gamma Doppler has no Ruby: it comes in Phase 1, Phase 2, Phase 3, Phase 4 or Emerald`,
			`items[3].phase: "AK-47 | Redline" is no Doppler or Gamma Doppler: only those come in phases`,
			`items[4].phase: Sapphire contradicts the name's Ruby: remove one of them`,
		}},
		{"floats and stickers the item cannot have", `{"items": [
			{"name": "AK-47 | Redline", "min_float": 0.8},
			{"name": "AK-47 | Redline", "max_float": 0.09, "wear": "FT"},
			{"name": "AK-47 | Vulcan", "max_float": 0.05, "wear": "FT"},
			{"name": "Special Agent Ava | FBI", "max_float": 0.5},
			{"name": "★ Karambit | Fade", "min_stickers": 1},
			{"name": "★ Sport Gloves | Pandora's Box", "any_sticker": "Crown (Foil)"},
			{"name": "★ Karambit", "any_sticker": "Crown (Foil)"}]}`, []string{
			`items[0].min_float: 0.8 is above the highest float of AK-47 | Redline, 0.7: the entry never matches`,
			`items[1].max_float: float 0-0.09 and wear Field-Tested never meet: widen the float bounds or the wear`,
			`items[2].max_float: float 0-0.05 and wear Field-Tested never meet: widen the float bounds or the wear`,
			`items[3].max_float: Special Agent Ava | FBI (an agent) has no float: min_float and max_float are for skins`,
			`items[4].min_stickers: ★ Karambit | Fade takes no stickers: knives and gloves never have any`,
			`items[5].any_sticker: ★ Sport Gloves | Pandora's Box takes no stickers: knives and gloves never have any`,
			`items[6].any_sticker: ★ Karambit (without a finish) takes no stickers: knives never have any`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, tt.file, tt.want)
		})
	}
}

// TestParseWarnings checks the names the catalogue cannot check: accepted,
// with a warning that "unchecked" silences, which also lets a name the
// catalogue does not know through.
func TestParseWarnings(t *testing.T) {
	const unlisted = `could not be checked: the item catalogue knows weapon, knife and glove skins and agents, not stickers, cases, charms and the like; add "unchecked": true to the entry to silence this warning`
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"a sticker", `{"items": [{"name": "Sticker | Crown (Foil)"}]}`, []string{`items[0].name: "Sticker | Crown (Foil)" ` + unlisted}},
		{"a case, a capsule and a charm", `{"items": [{"name": "Kilowatt Case"}, {"name": "AK-47 | Redline"}, {"name": "Paris 2023 Legends Sticker Capsule"}, {"name": "Charm | Lil' Squirt"}]}`, []string{
			`items[0].name: "Kilowatt Case" ` + unlisted,
			`items[2].name: "Paris 2023 Legends Sticker Capsule" ` + unlisted,
			`items[3].name: "Charm | Lil' Squirt" ` + unlisted}},
		{"unchecked silences it", `{"items": [{"name": "Sticker | Crown (Foil)", "unchecked": true}, {"name": "Kilowatt Case", "unchecked": true}]}`, nil},
		{"unchecked false does not", `{"items": [{"name": "Sticker | Crown (Foil)", "unchecked": false}]}`, []string{`items[0].name: "Sticker | Crown (Foil)" ` + unlisted}},
		{"an agent is checked", `{"items": [{"name": "Special Agent Ava | FBI"}]}`, nil},
		{"a name newer than the catalogue, unchecked", `{"items": [{"name": "StatTrak™ AK-47 | Skin Of 2030 (Factory New)", "unchecked": true}, {"name": "★ Kukri Knife | Fade", "unchecked": true}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustParse(t, tt.file)
			var got []string
			for _, w := range l.Warnings() {
				got = append(got, w.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestParseConditionProblems checks the new keys' own values.
func TestParseConditionProblems(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"values", `{"items": [{"name": "AK-47 | Vulcan", "max_float": 2, "min_float": -1, "min_stickers": 9, "any_sticker": [], "phase": "Opal", "unchecked": "yes"}]}`, []string{
			`items[0].unchecked: want true or false, got "yes"`,
			`items[0].phase: unknown phase "Opal": use Phase 1, Phase 2, Phase 3, Phase 4, Ruby, Sapphire, Black Pearl or Emerald, a list of them, or any`,
			`items[0].min_float: -1 is negative: use a float of 0 or more, or null for no limit`,
			`items[0].max_float: 2 is above 1: a float runs from 0 to 1`,
			`items[0].any_sticker: empty list: name at least one sticker, or leave any_sticker out`,
			`items[0].min_stickers: 9: want a whole number from 0 to 5, the most stickers a weapon takes`}},
		{"shapes", `{"items": [{"name": "★ Karambit | Doppler", "phase": ["Ruby", 3, "Jade"], "min_float": "0.1", "any_sticker": ["Crown (Foil)", 4, " Sticker | "], "min_stickers": 1.5},
			{"name": "★ Karambit | Doppler", "phase": {}, "any_sticker": {"a": 1}, "min_stickers": "2", "phase": []}]}`, []string{
			`items[0].phase[1]: want a phase, got 3`,
			`items[0].phase[2]: unknown phase "Jade": use Phase 1, Phase 2, Phase 3, Phase 4, Ruby, Sapphire, Black Pearl or Emerald, a list of them, or any`,
			`items[0].min_float: want a number, got the string "0.1": write 0.1 without quotes`,
			`items[0].any_sticker[1]: want a sticker's name, got 4`,
			`items[0].any_sticker[2]: empty: name the sticker as the market does, e.g. "Crown (Foil)"`,
			`items[0].min_stickers: 1.5: want a whole number from 0 to 5, the most stickers a weapon takes`,
			`items[1]: key "phase" appears twice: keep one`,
			`items[1].phase: empty list: name at least one phase, or use "any"`,
			`items[1].any_sticker: want a sticker's name or a list of them, e.g. ["Crown (Foil)", "Titan (Holo) | Katowice 2014"], got {"a": 1}`,
			`items[1].min_stickers: want a number of stickers from 0 to 5, got "2"`}},
		{"min above max", `{"items": [{"name": "AK-47 | Vulcan", "min_float": 0.3, "max_float": 0.2}]}`, []string{
			`items[0].min_float: 0.3 is above max_float 0.2: lower min_float or raise max_float`}},
		{"entry keys in defaults", `{"defaults": {"phase": "Ruby", "min_float": 0.1, "unchecked": true}, "items": [{"name": "AK-47 | Vulcan"}]}`, []string{
			`defaults: "phase" belongs on each entry in items, not in defaults`,
			`defaults: "min_float" belongs on each entry in items, not in defaults`,
			`defaults: "unchecked" belongs on each entry in items, not in defaults`}},
		{"phase of an unchecked item that is no Doppler", `{"items": [{"name": "Kilowatt Case", "phase": "Ruby", "unchecked": true}]}`, []string{
			`items[0].phase: "Kilowatt Case" is no Doppler or Gamma Doppler: only those come in phases`}},
		{"duplicate phases", `{"items": [{"name": "★ Karambit | Doppler", "wear": "FN"}, {"name": "★ Karambit | Doppler Ruby (Factory New)"}]}`, []string{
			`items[1]: duplicate of items[0]: both match ★ Karambit | Doppler, Factory New, Ruby, not StatTrak or Souvenir: remove one, or narrow their wear, stattrak, souvenir or phase so they do not overlap`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, tt.file, tt.want)
		})
	}
}
