package messages

import (
	"strings"
	"testing"
)

func TestCutPhase(t *testing.T) {
	tests := []struct {
		in, rest string
		phase    Phase
	}{
		{"Gamma Doppler Phase 1", "Gamma Doppler", Phase1},
		{"★ Bowie Knife | Gamma Doppler Phase 4", "★ Bowie Knife | Gamma Doppler", Phase4},
		{"★ Karambit | Doppler Ruby", "★ Karambit | Doppler", PhaseRuby},
		{"Doppler Sapphire", "Doppler", PhaseSapphire},
		{"Doppler Black Pearl", "Doppler", PhaseBlackPearl},
		{"Gamma Doppler Emerald", "Gamma Doppler", PhaseEmerald},
		{"doppler  PHASE 2 ", "doppler", Phase2},
		{"DopplerPhase3", "Doppler", Phase3},
		{"Doppler", "Doppler", PhaseNone},
		{"Doppler Phase 11", "Doppler Phase 11", PhaseNone},
		{"Doppler Phase 5", "Doppler Phase 5", PhaseNone},
		{"Marble Fade Ruby", "Marble Fade Ruby", PhaseNone},
		{"Ruby", "Ruby", PhaseNone},
		{"Phase 1", "Phase 1", PhaseNone},
		{"Doppler Rubý", "Doppler Rubý", PhaseNone},
		{"Doppler Phase \x11", "Doppler Phase \x11", PhaseNone},
		{"Doppler Phase \x14\n", "Doppler Phase \x14\n", PhaseNone},
		{"DOPPLER RUBY\u00a0", "DOPPLER", PhaseRuby},
		{"Doppler EMERALD", "Doppler", PhaseEmerald},
		{"Doppler Pearl", "Doppler Pearl", PhaseNone},
		{"", "", PhaseNone},
	}
	for _, tt := range tests {
		rest, p := CutPhase(tt.in)
		if rest != tt.rest || p != tt.phase {
			t.Errorf("CutPhase(%q) = %q, %v; want %q, %v", tt.in, rest, p, tt.rest, tt.phase)
		}
	}
}

func TestParsePhase(t *testing.T) {
	for _, p := range Phases {
		if got, ok := ParsePhase(p.String()); got != p || !ok {
			t.Errorf("ParsePhase(%q) = %v, %v", p.String(), got, ok)
		}
	}
	tests := []struct {
		in   string
		want Phase
		ok   bool
	}{
		{"phase2", Phase2, true},
		{" black pearl ", PhaseBlackPearl, true},
		{"BLACKPEARL", PhaseBlackPearl, true},
		{"Phase 5", PhaseNone, false},
		{"Doppler Ruby", PhaseNone, false},
		{"", PhaseNone, false},
	}
	for _, tt := range tests {
		if got, ok := ParsePhase(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ParsePhase(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPhaseString(t *testing.T) {
	want := []string{"", "Phase 1", "Phase 2", "Phase 3", "Phase 4", "Ruby", "Sapphire", "Black Pearl", "Emerald", "phase(9)"}
	for p := range Phase(len(want)) {
		if got := p.String(); got != want[p] {
			t.Errorf("Phase(%d).String() = %q, want %q", p, got, want[p])
		}
	}
}

func TestTradePhase(t *testing.T) {
	tests := []struct {
		name string
		want Phase
	}{
		{"★ Bowie Knife | Gamma Doppler Phase 1 (Factory New)", Phase1},
		{"★ StatTrak™ Karambit | Doppler Black Pearl (Minimal Wear)", PhaseBlackPearl},
		{"★ Karambit | Doppler Ruby", PhaseRuby},
		{"★ Karambit | Doppler (Factory New)", PhaseNone},
		{"AK-47 | Redline (Field-Tested)", PhaseNone},
		{"Sticker | Doppler Ruby (Foil)", PhaseNone},
		{"", PhaseNone},
	}
	for _, tt := range tests {
		tr := Trade{MarketName: tt.name}
		if got := tr.Phase(); got != tt.want {
			t.Errorf("Trade{MarketName: %q}.Phase() = %v, want %v", tt.name, got, tt.want)
		}
	}
	tr := Trade{MarketName: "★ Bowie Knife | Gamma Doppler Phase 1 (Factory New)"}
	if n := testing.AllocsPerRun(100, func() { tr.Phase() }); n != 0 {
		t.Errorf("Phase allocates %v times a run, want 0", n)
	}
}

// FuzzCutPhase checks CutPhase on names as the feed could send them: it must
// not panic, and what it cuts must be a phase after "Doppler".
func FuzzCutPhase(f *testing.F) {
	for _, s := range []string{"★ Karambit | Doppler Phase 2", "Gamma Doppler Emerald", "Doppler Phase \x11", "AK-47 | Redline"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rest, p := CutPhase(s)
		if p == PhaseNone {
			if rest != s {
				t.Fatalf("CutPhase(%q) = %q, none: changed the name without a phase", s, rest)
			}
			return
		}
		if int(p) >= len(phaseNames) || !EndsWithDoppler(rest) || !strings.HasPrefix(s, rest) {
			t.Fatalf("CutPhase(%q) = %q, %v", s, rest, p)
		}
	})
}
