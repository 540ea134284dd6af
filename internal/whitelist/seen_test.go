package whitelist

import (
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/messages"
)

const seenFile = `{"items": [
  {"name": "AK-47 | Redline", "wear": "Field-Tested", "max_markup": 8},
  {"name": "AWP | Asiimov", "wear": "Field-Tested"},
  {"name": "★ Karambit | Doppler", "wear": "Factory New", "phase": "Ruby"}
]}`

func seenList(t *testing.T, data string) *List {
	t.Helper()
	l, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// unseenNames returns the names of the entries Unseen returns.
func unseenNames(s *LastSeen, now time.Time, after time.Duration) []string {
	var names []string
	for _, u := range s.Unseen(now, after) {
		names = append(names, u.Entry.Name)
	}
	return names
}

func TestLastSeen(t *testing.T) {
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	l := seenList(t, seenFile)
	s := NewLastSeen(l, start)

	// Every rejection but no_entry names the entry: its item came.
	for _, tr := range []messages.Trade{
		{MarketName: "AK-47 | Redline (Field-Tested)", Wear: messages.WearFieldTested, MarkupPercent: 50, TotalValue: 1}, // markup_too_high
		{MarketName: "★ Karambit | Doppler Phase 2 (Factory New)", Wear: messages.WearFactoryNew, TotalValue: 1},         // wrong_phase
		{MarketName: "AWP | Asiimov (Battle-Scarred)", Wear: messages.WearBattleScarred, TotalValue: 1},                  // no_entry
	} {
		i, _ := l.Match(&tr)
		s.Saw(i, start.Add(time.Hour))
	}
	if got := unseenNames(s, start.Add(3*24*time.Hour), 3*24*time.Hour); len(got) != 1 || got[0] != "AWP | Asiimov" {
		t.Errorf("unseen after 3 days = %q, want only the AWP, whose wear never came", got)
	}
	if got := unseenNames(s, start.Add(3*24*time.Hour-time.Nanosecond), 3*24*time.Hour); len(got) != 0 {
		t.Errorf("unseen just before 3 days = %q, want none", got)
	}
	if got := unseenNames(s, start.Add(3*24*time.Hour+time.Hour), 3*24*time.Hour); len(got) != 3 {
		t.Errorf("unseen 3 days after the last trade = %q, want all three", got)
	}
	u := s.Unseen(start.Add(4*24*time.Hour), 3*24*time.Hour)
	if !u[0].LastSeen.Equal(start.Add(time.Hour)) || u[0].For != 4*24*time.Hour-time.Hour || !u[1].LastSeen.IsZero() || !u[1].Since.Equal(start) {
		t.Errorf("Unseen = %+v", u)
	}

	s.Saw(-1, start) // no_entry's index is ignored
	if n := testing.AllocsPerRun(100, func() { s.Saw(1, start) }); n != 0 {
		t.Errorf("Saw allocates %v times, want none: it runs on every trade", n)
	}
}

// A reload keeps the times of the entries that ask for the same item, even
// written otherwise or with other prices, and watches the new ones from the
// reload.
func TestLastSeenCarriesAcrossAReload(t *testing.T) {
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s := NewLastSeen(seenList(t, seenFile), start)
	s.Saw(0, start.Add(time.Hour))
	s.Saw(1, start.Add(2*time.Hour))

	reload := start.Add(48 * time.Hour)
	c := s.Carry(seenList(t, `{"items": [
  {"name": "M4A4 | Howl", "wear": "Minimal Wear"},
  {"name": "ak-47   |  REDLINE", "wear": "FT", "max_markup": 2, "max_price": 100},
  {"name": "AWP | Asiimov", "wear": ["Field-Tested", "Well-Worn"]},
  {"name": "★ Karambit | Doppler", "wear": "Factory New", "phase": "Ruby"}
]}`), reload)

	now := start.Add(4 * 24 * time.Hour)
	got := c.Unseen(now, 0)
	want := []struct {
		name     string
		lastSeen time.Time
		since    time.Time
	}{
		{"M4A4 | Howl", time.Time{}, reload},             // new
		{"AK-47 | Redline", start.Add(time.Hour), start}, // the same item, written otherwise
		{"AWP | Asiimov", time.Time{}, reload},           // another wear set: another entry
		{"★ Karambit | Doppler", time.Time{}, start},     // unchanged, never seen
	}
	if len(got) != len(want) {
		t.Fatalf("Unseen = %+v, want %d entries", got, len(want))
	}
	for i, w := range want {
		if got[i].Entry.Name != w.name || !got[i].LastSeen.Equal(w.lastSeen) || !got[i].Since.Equal(w.since) {
			t.Errorf("entry %d: %s last seen %v, watched since %v; want %s, %v, %v", i, got[i].Entry.Name, got[i].LastSeen, got[i].Since, w.name, w.lastSeen, w.since)
		}
	}
	if c.List().Len() != 4 {
		t.Errorf("Carry's list has %d entries, want 4", c.List().Len())
	}
}
