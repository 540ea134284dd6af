package whitelist

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/rollsniper/rollsniper/messages"
)

// FuzzParse feeds Parse arbitrary files: it must never panic, and must return
// either a list or a *ValidationError with at least one problem, never both.
func FuzzParse(f *testing.F) {
	f.Add([]byte(matchList))
	f.Add(demoJSON)
	f.Add([]byte(`{"items": [{"name": "a", "wear": ["FN", "x"], "max_markup": -1}], "defaults": {"min_price": 9, "max_price": 1}}`))
	f.Add([]byte(`{"items": [{"name": "a"}, {"name": "A (Factory New)"}]}`))
	f.Add([]byte(`{"items": [{"name": "★ Karambit | Doppler Ruby", "phase": ["Ruby"], "min_float": 0.01, "max_float": 0.05, "any_sticker": "Crown (Foil)", "min_stickers": 1}]}`))
	f.Add([]byte(`{"items": [{"name": "AK47 Redline"}, {"name": "Sticker | Crown (Foil)"}, {"name": "New | Skin", "unchecked": true, "phase": "Ruby"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(data)
		if err != nil {
			ve, ok := errors.AsType[*ValidationError](err)
			if !ok || len(ve.Problems) == 0 || l != nil {
				t.Fatalf("Parse = %v, %v (%T); want nil and a *ValidationError with problems", l, err, err)
			}
			return
		}
		for i := range l.Len() {
			e := l.Entry(i)
			if e.String() != e.describe() {
				t.Fatalf("entry %d: stored description %q, built %q", i, e.String(), e.describe())
			}
			if !(0 <= e.MinFloat && e.MinFloat <= e.MaxFloat && e.MaxFloat <= 1) || e.MinStickers < 0 || e.MinStickers > maxStickers ||
				len(e.AnySticker) != len(e.stickerKeys) {
				t.Fatalf("entry %d: conditions out of range: %+v", i, e)
			}
		}
		for _, w := range l.Warnings() {
			if w.Path == "" || w.Msg == "" {
				t.Fatalf("warning without a path or message: %+v", w)
			}
		}
	})
}

// FuzzMatchName checks that a whitelist file and the feed normalise a name the
// same way: an entry named with any market name the feed could send matches a
// trade of that name (the entry is unchecked, so that names the catalogue does
// not know are tried too). Market names come off the network, so Match must
// also never panic on them.
func FuzzMatchName(f *testing.F) {
	for _, s := range []string{
		"AK-47 | Redline (Field-Tested)",
		"★ StatTrak™ Karambit | Fade (Factory New)",
		"Souvenir AWP | Dragon Lore (Battle-Scarred)",
		"Sticker | Crown (Foil)",
		"M4A4 | 龍王 (Dragon King) (Minimal Wear)",
		"StatTrak Swap Tool",
		"\u00a0Kilowatt\tCase ",
		"StatTrak™ Souvenir AK-47 | Redline",
		"★ Bowie Knife | Gamma Doppler Phase 1 (Factory New)",
		"★ Karambit | doppler BLACK pearl",
	} {
		f.Add(s)
	}
	demo := Demo()
	f.Fuzz(func(t *testing.T, name string) {
		n := split(name)
		tr := messages.Trade{MarketName: name, Wear: n.wear, StatTrak: n.statTrak, Souvenir: n.souvenir}
		quoted, err := json.Marshal(name)
		if err != nil {
			t.Skip()
		}
		l, err := Parse([]byte(`{"items": [{"name": ` + string(quoted) + `, "stattrak": "any", "souvenir": "any", "joinable_only": false, "unchecked": true}]}`))
		if err != nil {
			// Names the file rejects (empty, too long, both prefixes) must
			// still be safe to match.
			if _, r := demo.Match(&tr); r == Matched {
				t.Fatalf("Demo().Match(%q) matched a name no file accepts", name)
			}
			return
		}
		if entry, r := l.Match(&tr); entry != 0 || r != Matched {
			t.Fatalf("an entry named %q does not match a trade of that name: Match = %d, %v (entry %v)", name, entry, r, l.Entry(0))
		}
	})
}

// FuzzFoldEqual checks that the comparison of a trade's sticker names, which
// come off the network, agrees with the fold an entry's names are stored in.
func FuzzFoldEqual(f *testing.F) {
	for _, s := range []string{"Crown (Foil)", "Titan (Holo) | Katowice 2014", "龍王 Ünï", "\xff\u00a0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		buf := make([]byte, 0, 4*len(s)+8)
		key, _ := appendFold(buf, s)
		if !foldEqual(s, string(key)) {
			t.Fatalf("foldEqual(%q, its fold %q) = false", s, key)
		}
		if foldEqual(s, string(key)+"x") || len(key) > 0 && foldEqual(s, string(key[:len(key)-1])) {
			t.Fatalf("foldEqual(%q) takes a key that is not its fold %q", s, key)
		}
	})
}
