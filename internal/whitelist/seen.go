package whitelist

import (
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// LastSeen keeps, for each entry of a list, when the feed last carried its
// item: a trade that Match decided against the entry, matched or not (every
// reason but NoEntry names the entry). An entry whose item does not come for
// days may be a name the market spells differently, which never matches: the
// decision sink reports such entries (Unseen).
//
// Saw costs an atomic store and does not allocate: it runs on every trade,
// on the goroutine that decides. Unseen and Carry may run on others beside
// it: each time is read whole, and a Saw that lands while Carry copies may
// be left out of the copy (it is a second's news, in a check counted in
// days).
type LastSeen struct {
	list *List
	// since is when each entry began to be watched (the start, or the reload
	// that brought it); seen is when its item last came, 0 for never. Unix
	// nanoseconds.
	since, seen []atomic.Int64
}

// NewLastSeen watches l's entries from now, none of them seen.
func NewLastSeen(l *List, now time.Time) *LastSeen {
	s := &LastSeen{list: l, since: make([]atomic.Int64, l.Len()), seen: make([]atomic.Int64, l.Len())}
	for i := range s.since {
		s.since[i].Store(now.UnixNano())
	}
	return s
}

// List returns the list whose entries s watches.
func (s *LastSeen) List() *List { return s.list }

// Saw records that the item of entry i came at now. An i out of range (-1,
// for NoEntry) is ignored.
func (s *LastSeen) Saw(i int, now time.Time) {
	if uint(i) < uint(len(s.seen)) {
		s.seen[i].Store(now.UnixNano())
	}
}

// Carry returns a LastSeen for l, a reload of s's list: an entry of l that
// asks for the same item as an entry of s (the same name, however spaced or
// cased, wears, StatTrak, Souvenir and phases, whatever its prices) keeps
// that entry's times; the others are watched from now.
func (s *LastSeen) Carry(l *List, now time.Time) *LastSeen {
	type times struct{ since, seen int64 }
	old := make(map[string]times, s.list.Len())
	for i := range s.list.Len() {
		old[s.list.entries[i].identity()] = times{s.since[i].Load(), s.seen[i].Load()}
	}
	c := NewLastSeen(l, now)
	for i := range l.Len() {
		if t, ok := old[l.entries[i].identity()]; ok {
			c.since[i].Store(t.since)
			c.seen[i].Store(t.seen)
		}
	}
	return c
}

// Unseen is an entry whose item has not come for a while.
type Unseen struct {
	Entry Entry
	// LastSeen is when its item last came; zero if it has not come since
	// Since, when the entry began to be watched.
	LastSeen, Since time.Time
	// For is how long it has not come: since LastSeen, or since Since.
	For time.Duration
}

// Unseen returns, in the list's order, the entries whose item has not come
// for after or longer, as of now.
func (s *LastSeen) Unseen(now time.Time, after time.Duration) []Unseen {
	var out []Unseen
	for i := range s.seen {
		seen, since := s.seen[i].Load(), s.since[i].Load()
		from := seen
		if from == 0 {
			from = since
		}
		if d := now.Sub(time.Unix(0, from)); d >= after {
			u := Unseen{Entry: s.list.entries[i], Since: time.Unix(0, since), For: d}
			if seen != 0 {
				u.LastSeen = time.Unix(0, seen)
			}
			out = append(out, u)
		}
	}
	return out
}

// identity is what an entry asks for: the same identity in two versions of
// a file is the same entry, whatever its bounds on price and markup.
func (e *Entry) identity() string {
	key, _ := appendFold(make([]byte, 0, len(e.Name)*2+utf8.UTFMax), e.Name)
	key = append(key, 0, byte(e.Wears), byte(e.StatTrak), byte(e.Souvenir))
	return string(strconv.AppendUint(key, uint64(e.Phases), 16))
}
