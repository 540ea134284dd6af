package catalog

import (
	"slices"
	"strings"
	"testing"

	"github.com/rollsniper/rollsniper/messages"
)

func TestDefault(t *testing.T) {
	c := Default()
	if c.Len() != 1585 {
		t.Errorf("Len() = %d, want the data's 1,585 skins", c.Len())
	}
	if len(c.weapons) != 61 || len(c.agents) != 63 {
		t.Errorf("%d weapons and %d agents, want the data's 61 and 63", len(c.weapons), len(c.agents))
	}
	if !strings.Contains(c.Source(), "ByMykel/CSGO-API") || !strings.Contains(c.Source(), "7933cd848732b0822b0bd4aa15d837f677249799") {
		t.Errorf("Source() = %q, want the repository and commit", c.Source())
	}
	if Default() != c {
		t.Error("Default built the catalogue twice")
	}
	n := 0
	for s := range c.All() {
		if n > 0 && s.Weapon == "AK-47" && s.Finish == "Aquamarine Revenge" {
			t.Error("All yielded the first skin again")
		}
		n++
	}
	if n != c.Len() {
		t.Errorf("All yielded %d skins, want %d", n, c.Len())
	}
}

func TestLookup(t *testing.T) {
	c := Default()
	tests := []struct {
		weapon, finish string
		ok             bool
		name           string
		stattrak       bool
		min, max       float64
	}{
		{"AK-47", "Redline", true, "AK-47 | Redline", true, 0.1, 0.7},
		{"ak-47", "  RED line", true, "AK-47 | Redline", true, 0.1, 0.7},
		{"★ Karambit", "Doppler", true, "★ Karambit | Doppler", true, 0, 0.08},
		{"Karambit", "Doppler", true, "★ Karambit | Doppler", true, 0, 0.08},
		{"Sport Gloves", "Pandora's Box", true, "★ Sport Gloves | Pandora's Box", false, 0.06, 0.8},
		{"AK-47", "Safari Mesh", true, "AK-47 | Safari Mesh", false, 0.06, 0.8},
		// The one correction of the source: StatTrak™ Howls exist.
		{"M4A4", "Howl", true, "M4A4 | Howl", true, 0, 0.4},
		{"M4A4", "龍王 (Dragon King)", true, "M4A4 | 龍王 (Dragon King)", true, 0, 0.75},
		{"AK47", "Redline", false, "", false, 0, 0},
		{"AK-47", "Doppler", false, "", false, 0, 0},
		{"Karambit", "Doppler Phase 2", false, "", false, 0, 0},
	}
	for _, tt := range tests {
		s, ok := c.Lookup(tt.weapon, tt.finish)
		if ok != tt.ok {
			t.Errorf("Lookup(%q, %q) ok = %v, want %v", tt.weapon, tt.finish, ok, tt.ok)
			continue
		}
		if ok && (s.Name() != tt.name || s.StatTrak != tt.stattrak || s.MinFloat != tt.min || s.MaxFloat != tt.max) {
			t.Errorf("Lookup(%q, %q) = %s, StatTrak %v, %v-%v; want %s, %v, %v-%v",
				tt.weapon, tt.finish, s.Name(), s.StatTrak, s.MinFloat, s.MaxFloat, tt.name, tt.stattrak, tt.min, tt.max)
		}
	}
}

func TestWears(t *testing.T) {
	all := messages.Wears[:]
	tests := []struct {
		min, max float64
		want     []messages.Wear
	}{
		{0, 1, all},
		// Ranges that touch a tier's bound do not reach into it.
		{0, 0.45, all[:4]},     // AK-47 | Bloodsport: no Battle-Scarred
		{0, 0.07, all[:1]},     // Factory New only
		{0.07, 0.15, all[1:2]}, // Minimal Wear only
		{0.0699, 0.0701, all[:2]},
		{0.45, 1, all[4:]},
		{0.35, 0.85, all[2:]}, // Galil AR | Chatterbox
	}
	for _, tt := range tests {
		s := Skin{MinFloat: tt.min, MaxFloat: tt.max}
		if got := s.Wears(); !slices.Equal(got, tt.want) {
			t.Errorf("%v-%v: Wears() = %v, want %v", tt.min, tt.max, got, tt.want)
		}
		if s.HasWear(messages.WearNone) || s.HasWear("Pristine") {
			t.Errorf("%v-%v: HasWear says yes to no tier", tt.min, tt.max)
		}
	}
	bloodsport, _ := Default().Lookup("AK-47", "Bloodsport")
	if bloodsport.HasWear(messages.WearBattleScarred) || !bloodsport.HasWear(messages.WearWellWorn) {
		t.Errorf("AK-47 | Bloodsport (%v-%v): wears %v, want no Battle-Scarred", bloodsport.MinFloat, bloodsport.MaxFloat, bloodsport.Wears())
	}
}

func TestPhases(t *testing.T) {
	c := Default()
	doppler, _ := c.Lookup("Karambit", "Doppler")
	gamma, _ := c.Lookup("Bowie Knife", "Gamma Doppler")
	redline, _ := c.Lookup("AK-47", "Redline")
	tests := []struct {
		skin  Skin
		phase messages.Phase
		want  bool
	}{
		{doppler, messages.Phase2, true},
		{doppler, messages.PhaseRuby, true},
		{doppler, messages.PhaseBlackPearl, true},
		{doppler, messages.PhaseEmerald, false},
		{gamma, messages.Phase1, true},
		{gamma, messages.PhaseEmerald, true},
		{gamma, messages.PhaseSapphire, false},
		{redline, messages.Phase1, false},
	}
	for _, tt := range tests {
		if got := tt.skin.HasPhase(tt.phase); got != tt.want {
			t.Errorf("%s HasPhase(%v) = %v, want %v", tt.skin.Name(), tt.phase, got, tt.want)
		}
	}
}

func TestIdentify(t *testing.T) {
	c := Default()
	tests := []struct {
		in   string
		kind Kind
		name string
		err  string
	}{
		// Names the catalogue knows.
		{"AWP | Dragon Lore", KindSkin, "AWP | Dragon Lore", ""},
		{"  awp|dragon   LORE ", KindSkin, "AWP | Dragon Lore", ""},
		{"Karambit | Doppler", KindSkin, "★ Karambit | Doppler", ""},
		{"M4A4 | 龍王 (Dragon King)", KindSkin, "M4A4 | 龍王 (Dragon King)", ""},
		{"★ Karambit", KindVanilla, "★ Karambit", ""},
		{"karambit", KindVanilla, "★ Karambit", ""},
		{"Special Agent Ava | FBI", KindAgent, "Special Agent Ava | FBI", ""},
		// Kinds of items it does not list.
		{"Sticker | Crown (Foil)", KindUnlisted, "Sticker | Crown (Foil)", ""},
		{"Kilowatt Case", KindUnlisted, "Kilowatt Case", ""},
		{"Charm | Lil' Squirt", KindUnlisted, "Charm | Lil' Squirt", ""},
		{"Music Kit | Daniel Sadowski, Crimson Assault", KindUnlisted, "Music Kit | Daniel Sadowski, Crimson Assault", ""},
		{"Paris 2023 Legends Sticker Capsule", KindUnlisted, "Paris 2023 Legends Sticker Capsule", ""},
		{"Name Tag", KindUnlisted, "Name Tag", ""},
		// Misspellings, weapon and finish apart.
		{"AK47 | Redline", KindUnknown, "", `unknown weapon "AK47": did you mean "AK-47 | Redline"?`},
		{"AK-47 | Redlien", KindUnknown, "", `AK-47 has no finish "Redlien": did you mean "AK-47 | Redline"?`},
		{"AK47 | Redlien", KindUnknown, "", `unknown weapon "AK47": did you mean "AK-47 | Redline"?`},
		{"Karambit | Dopler", KindUnknown, "", `★ Karambit has no finish "Dopler": did you mean "★ Karambit | Doppler"?`},
		{"Karambit | Dopler Phase 2", KindUnknown, "", `★ Karambit has no finish "Dopler": did you mean "★ Karambit | Doppler Phase 2"?`},
		{"AK-47 | Fire Serpant", KindUnknown, "", `AK-47 has no finish "Fire Serpant": did you mean "AK-47 | Fire Serpent"?`},
		{"M4A1 | Printstream", KindUnknown, "", `unknown weapon "M4A1": did you mean "M4A1-S | Printstream"?`},
		{"M9 | Doppler", KindUnknown, "", `unknown weapon "M9": did you mean "★ M9 Bayonet | Doppler"?`},
		{"Butterfly | Fade", KindUnknown, "", `unknown weapon "Butterfly": did you mean "★ Butterfly Knife | Fade"?`},
		{"Deagle | Blaze", KindUnknown, "", `unknown weapon "Deagle": did you mean "Desert Eagle | Blaze"?`},
		{"Stiker | Crown (Foil)", KindUnknown, "", `unknown weapon "Stiker": did you mean "Sticker | Crown (Foil)"?`},
		{"Special Agent Ava | FBl", KindUnknown, "", `unknown weapon "Special Agent Ava": did you mean "Special Agent Ava | FBI"?`},
		{"AK-47 | Doppler", KindUnknown, "", `AK-47 has no finish "Doppler"; it is a finish of ★ Bayonet, ★ Bowie Knife, ★ Butterfly Knife and 11 more`},
		{"AK-47 | Qwertyuiop", KindUnknown, "", `AK-47 has no finish "Qwertyuiop"`},
		{"xyz | abc", KindUnknown, "", `unknown weapon "xyz": write it as market names do, e.g. "AK-47", "★ Karambit" or "★ Sport Gloves"`},
		// Names without a separator are split against the weapons.
		{"AK47 Redline", KindUnknown, "", `unknown item "AK47 Redline": did you mean "AK-47 | Redline"?`},
		{"Karambit Dopler", KindUnknown, "", `unknown item "Karambit Dopler": did you mean "★ Karambit | Doppler"?`},
		{"ak-47redline", KindUnknown, "", `unknown item "ak-47redline": did you mean "AK-47 | Redline"?`},
		{"asdfghjkl", KindUnknown, "", `unknown item "asdfghjkl": write the weapon, then " | ", then the finish, e.g. "AK-47 | Redline"`},
		{"AK-47", KindUnknown, "", `"AK-47" is a weapon, not a skin: add its finish, e.g. "AK-47 | Aquamarine Revenge"`},
		{"Sport Gloves", KindUnknown, "", `"★ Sport Gloves" is a weapon, not a skin: add its finish, e.g. "★ Sport Gloves | Amphibious"`},
		{"AK-47 |", KindUnknown, "", `nothing after the "|": name the finish, e.g. "AK-47 | Aquamarine Revenge"`},
		{"", KindUnknown, "", `unknown item "": write the weapon, then " | ", then the finish, e.g. "AK-47 | Redline"`},
	}
	for _, tt := range tests {
		got := c.Identify(tt.in)
		var err string
		if got.Err != nil {
			err = got.Err.Error()
		}
		if got.Kind != tt.kind || got.Name != tt.name || err != tt.err {
			t.Errorf("Identify(%q) = kind %d, %q, %q\nwant kind %d, %q, %q", tt.in, got.Kind, got.Name, err, tt.kind, tt.name, tt.err)
		}
	}
}

// TestEverySkinIdentifiesAsItself checks that the index and the names agree
// for the whole catalogue, whatever the case.
func TestEverySkinIdentifiesAsItself(t *testing.T) {
	c := Default()
	for s := range c.All() {
		for _, name := range []string{s.Name(), strings.ToUpper(s.Name()), s.Weapon + "|" + s.Finish} {
			got := c.Identify(name)
			if got.Kind != KindSkin || got.Skin.Weapon != s.Weapon || got.Skin.Finish != s.Finish || got.Name != s.Name() {
				t.Errorf("Identify(%q) = %+v, want %s", name, got, s.Name())
			}
		}
	}
	for _, w := range c.weapons {
		got := c.Identify(w.String())
		if w.Vanilla() != (got.Kind == KindVanilla) {
			t.Errorf("Identify(%q) = kind %d", w.String(), got.Kind)
		}
	}
}

// FuzzIdentify feeds Identify the names a whitelist file may hold: it must not
// panic, and a name it takes for a skin must name that skin again.
func FuzzIdentify(f *testing.F) {
	for _, s := range []string{"AK-47 | Redline", "AK47 Redline", "Karambit | Dopler Phase 2", "Sticker | Crown (Foil)", "★", "|", "a|b|c", "M4A4 | 龍王 (Dragon King)", "\xff\xfe"} {
		f.Add(s)
	}
	c := Default()
	f.Fuzz(func(t *testing.T, name string) {
		it := c.Identify(name)
		if (it.Kind == KindUnknown) != (it.Err != nil) {
			t.Fatalf("Identify(%q) = kind %d with error %v", name, it.Kind, it.Err)
		}
		if it.Kind == KindSkin {
			again := c.Identify(it.Name)
			if again.Kind != KindSkin || again.Skin.Weapon != it.Skin.Weapon || again.Skin.Finish != it.Skin.Finish {
				t.Fatalf("Identify(%q) = %s, but Identify(%q) = %+v", name, it.Name, it.Name, again)
			}
		}
	})
}
