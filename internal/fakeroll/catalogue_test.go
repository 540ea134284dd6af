package fakeroll

import (
	"testing"

	"github.com/rollsniper/rollsniper/internal/catalog"
	"github.com/rollsniper/rollsniper/messages"
)

// TestCatalogueIsReal checks the fake feed's skins against the item catalogue
// that whitelists are checked against: a whitelist built from the fake feed's
// names (as the demo's and the end-to-end tests' are) must be valid.
func TestCatalogueIsReal(t *testing.T) {
	c := catalog.Default()
	for _, it := range catalogue {
		name := it.brand + " | " + it.name
		if it.kind == kindAgent || it.kind == kindContainer {
			name = it.name
		}
		base, phase := messages.CutPhase(name)
		got := c.Identify(base)
		switch it.kind {
		case kindSticker, kindContainer:
			if got.Kind != catalog.KindUnlisted {
				t.Errorf("%s: identified as kind %d, want an unlisted kind", name, got.Kind)
			}
			continue
		case kindAgent:
			if got.Kind != catalog.KindAgent {
				t.Errorf("%s: identified as kind %d, want an agent", name, got.Kind)
			}
			continue
		}
		if got.Kind != catalog.KindSkin {
			t.Errorf("%s: %v", name, got.Err)
			continue
		}
		s := got.Skin
		for _, w := range it.wears {
			if !s.HasWear(w) {
				t.Errorf("%s comes in %s here, but its float range %v-%v gives %v", name, w, s.MinFloat, s.MaxFloat, s.Wears())
			}
		}
		if it.prefix == statTrak && !s.StatTrak {
			t.Errorf("%s is StatTrak™ here, but has no StatTrak™ version", name)
		}
		if phase != messages.PhaseNone && !s.HasPhase(phase) {
			t.Errorf("%s: no such phase; it has %v", name, s.Phases)
		}
	}
}
