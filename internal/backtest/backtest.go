package backtest

import (
	"math"
	"slices"
	"time"

	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

// Backtest decides every trade it is given against a whitelist, as the live
// whitelist sink does (whitelist.List.Match), and gathers what the report
// says. It is not safe for concurrent use; it starts no goroutine.
type Backtest struct {
	list    *whitelist.List
	entries []entryStats
	days    map[time.Time]*dayStats
	names   map[string]int // trades by market name, to tell a misspelt entry from a rare variant
	trades  uint64
	matches uint64
}

// entryStats is what Add gathered for one entry.
type entryStats struct {
	seen     uint64                       // trades of the entry's item: Match named the entry
	rejected [whitelist.NumReasons]uint64 // by reason; [Matched] counts the matches
	joinable uint64                       // matches that could be joined
	first    time.Time
	last     time.Time
	price    span
	markup   span
	// near holds the near misses (trades failing exactly one condition),
	// by reason: the trade's value for a bound, its phase for WrongPhase.
	near [whitelist.NumReasons][]float64
}

// span is the range of some values.
type span struct {
	min, max float64
	set      bool
}

func (s *span) add(v float64) {
	if !s.set {
		s.min, s.max, s.set = v, v, true
		return
	}
	s.min, s.max = min(s.min, v), max(s.max, v)
}

// dayStats counts a UTC day.
type dayStats struct {
	trades, matches uint64
	perMinute       [24 * 60]uint32
}

// New returns a backtest of list.
func New(list *whitelist.List) *Backtest {
	return &Backtest{
		list:    list,
		entries: make([]entryStats, list.Len()),
		days:    map[time.Time]*dayStats{},
		names:   map[string]int{},
	}
}

// Add decides t and counts it: for its day, its minute, and the entry that
// names its item (matched, or rejected and why, and whether it was a near
// miss). Trades are added in the journal's order.
func (b *Backtest) Add(t *messages.Trade) {
	b.trades++
	b.names[t.MarketName]++
	at := t.ReceivedAt.UTC()
	day := at.Truncate(24 * time.Hour)
	d := b.days[day]
	if d == nil {
		d = &dayStats{}
		b.days[day] = d
	}
	d.trades++
	if m := &d.perMinute[at.Hour()*60+at.Minute()]; *m < math.MaxUint32 {
		*m++
	}
	i, reason := b.list.Match(t)
	if reason == whitelist.NoEntry {
		return
	}
	e := &b.entries[i]
	e.seen++
	e.rejected[reason]++
	if reason == whitelist.Matched {
		b.matches++
		d.matches++
		if e.first.IsZero() {
			e.first = at
		}
		e.last = at
		e.price.add(t.TotalValue)
		e.markup.add(t.MarkupPercent)
		if t.CanJoin {
			e.joinable++
		}
		return
	}
	if m := b.list.Explain(i, t); m.Len() == 1 {
		miss := m.At(0)
		e.near[miss.Reason] = append(e.near[miss.Reason], miss.Value)
	}
}

// Coverage is what the journal held and what was read of it, for the
// report's first lines: what the figures stand on.
type Coverage struct {
	// First and Last are the receive times of the first and last frames
	// read (within From and To).
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Frames counts the frames read, Skipped the frames and trades the
	// parser skipped (malformed), Sessions the connection sessions.
	Frames   uint64 `json:"frames"`
	Skipped  uint64 `json:"skipped"`
	Sessions uint64 `json:"sessions"`
	// Lost counts the frames the recorder lost (its queue was full).
	Lost uint64 `json:"lost_by_recorder"`
	// DamagedSegments and DamagedBytes are what of the journal could not
	// be read.
	DamagedSegments int   `json:"damaged_segments"`
	DamagedBytes    int64 `json:"damaged_bytes"`
}

// Report is a backtest's result, as the table and the JSON show it.
type Report struct {
	// Whitelist and Journal name what was tested on what.
	Whitelist string   `json:"whitelist"`
	Journal   []string `json:"journal"`
	// From and To are the window asked for; nil when open.
	From     *time.Time `json:"from,omitempty"`
	To       *time.Time `json:"to,omitempty"`
	Coverage Coverage   `json:"coverage"`
	Trades   uint64     `json:"trades"`
	Matches  uint64     `json:"matches"`
	// Entries are the whitelist's entries in the file's order, every one.
	Entries []EntryReport `json:"entries"`
	// Days are the UTC days of the journal, oldest first.
	Days []DayReport `json:"days"`
}

// EntryReport is one entry's part of the report.
type EntryReport struct {
	Index int    `json:"index"`
	Entry string `json:"entry"` // as the match lines name it
	// Seen counts the trades of the entry's item (in a wear, StatTrak and
	// Souvenir it accepts); Matches those it matched, Joinable the matches
	// that could be joined.
	Seen     uint64 `json:"seen"`
	Matches  uint64 `json:"matches"`
	Joinable uint64 `json:"joinable"`
	// First and Last are the receive times of the first and last matches.
	First *time.Time `json:"first_match,omitempty"`
	Last  *time.Time `json:"last_match,omitempty"`
	// Price and Markup are the ranges of the matches' prices and markups.
	Price  *Range `json:"price,omitempty"`
	Markup *Range `json:"markup,omitempty"`
	// Rejected counts the item's trades the entry turned down, by reason.
	Rejected map[string]uint64 `json:"rejected,omitempty"`
	// NearMisses are the trades that failed one condition only, by
	// condition.
	NearMisses []NearMiss `json:"near_misses,omitempty"`
	// NeverSeen is set when no trade of the entry's item appeared; then
	// OtherVariants counts the trades of the same name in wears or
	// variants the entry does not accept (0: the name never appeared at
	// all, a misspelling or a rare item).
	NeverSeen     bool   `json:"never_seen"`
	OtherVariants uint64 `json:"other_variants"`
}

// Range is the smallest and largest of some values.
type Range struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// NearMiss is the trades that failed one condition of an entry only, and
// what that condition would have had to be to let them through.
type NearMiss struct {
	// Bound names the entry's field: max_markup, min_price, max_price,
	// min_float, max_float, min_stickers, any_sticker, joinable_only,
	// phase, or float (a float bound on trades with no single float).
	Bound  string `json:"bound"`
	Reason string `json:"reason"` // whitelist.Reason's label
	// Trades is how many failed it alone.
	Trades int `json:"trades"`
	// Limit is the entry's value for a numeric bound; Closest and Farthest
	// the near misses' values nearest and farthest from it.
	Limit    *float64 `json:"limit,omitempty"`
	Closest  *float64 `json:"closest,omitempty"`
	Farthest *float64 `json:"farthest,omitempty"`
	// Steps are looser limits, a step apart, and how many more matches
	// each would have given: the first few that give more.
	Steps []Step `json:"steps,omitempty"`
	// Phases counts a phase near miss's trades by their phase.
	Phases map[string]int `json:"phases,omitempty"`
}

// Step is a looser limit and the matches it would have added.
type Step struct {
	Limit float64 `json:"limit"`
	More  int     `json:"more"`
}

// DayReport is one UTC day.
type DayReport struct {
	Day     string `json:"day"` // 2026-11-30
	Trades  uint64 `json:"trades"`
	Matches uint64 `json:"matches"`
	// BusiestMinute is the UTC minute with the most trades (the first of
	// equals), BusiestTrades its trades.
	BusiestMinute time.Time `json:"busiest_minute"`
	BusiestTrades uint32    `json:"busiest_minute_trades"`
}

// Report returns what the backtest found, with cov for its first lines.
func (b *Backtest) Report(cov Coverage) Report {
	r := Report{Coverage: cov, Trades: b.trades, Matches: b.matches}
	for i := range b.entries {
		r.Entries = append(r.Entries, b.entryReport(i))
	}
	days := make([]time.Time, 0, len(b.days))
	for day := range b.days {
		days = append(days, day)
	}
	slices.SortFunc(days, time.Time.Compare)
	for _, day := range days {
		d := b.days[day]
		dr := DayReport{Day: day.Format(time.DateOnly), Trades: d.trades, Matches: d.matches}
		for m, n := range d.perMinute {
			if n > dr.BusiestTrades {
				dr.BusiestTrades, dr.BusiestMinute = n, day.Add(time.Duration(m)*time.Minute)
			}
		}
		r.Days = append(r.Days, dr)
	}
	return r
}

func (b *Backtest) entryReport(i int) EntryReport {
	e := &b.entries[i]
	entry := b.list.Entry(i)
	er := EntryReport{Index: i, Entry: entry.String(), Seen: e.seen, Matches: e.rejected[whitelist.Matched], Joinable: e.joinable}
	if er.Matches > 0 {
		first, last := e.first, e.last
		er.First, er.Last = &first, &last
		er.Price = &Range{e.price.min, e.price.max}
		er.Markup = &Range{e.markup.min, e.markup.max}
	}
	for r := whitelist.NoEntry + 1; r < whitelist.NumReasons; r++ {
		if n := e.rejected[r]; n > 0 {
			if er.Rejected == nil {
				er.Rejected = map[string]uint64{}
			}
			er.Rejected[r.String()] = n
		}
	}
	for r := whitelist.NoEntry + 1; r < whitelist.NumReasons; r++ {
		if len(e.near[r]) > 0 {
			er.NearMisses = append(er.NearMisses, nearMiss(&entry, r, e.near[r]))
		}
	}
	if e.seen == 0 {
		er.NeverSeen = true
		for name, n := range b.names {
			if entry.SameItem(name) {
				er.OtherVariants += uint64(n)
			}
		}
	}
	return er
}

// bounds names the entry field each reason's near misses would loosen, and
// whether a looser limit is larger (up) or smaller.
var bounds = [whitelist.NumReasons]struct {
	field string
	up    bool
}{
	whitelist.WrongPhase:      {"phase", false},
	whitelist.FloatUnknown:    {"float", false},
	whitelist.FloatTooLow:     {"min_float", false},
	whitelist.FloatTooHigh:    {"max_float", true},
	whitelist.TooFewStickers:  {"min_stickers", false},
	whitelist.NoWantedSticker: {"any_sticker", false},
	whitelist.MarkupTooHigh:   {"max_markup", true},
	whitelist.PriceTooLow:     {"min_price", false},
	whitelist.PriceTooHigh:    {"max_price", true},
	whitelist.CannotJoin:      {"joinable_only", false},
}

// maxSteps is how many looser limits a near miss shows.
const maxSteps = 4

// nearMiss summarises the near misses of entry e on reason r, whose values
// are values.
func nearMiss(e *whitelist.Entry, r whitelist.Reason, values []float64) NearMiss {
	nm := NearMiss{Bound: bounds[r].field, Reason: r.String(), Trades: len(values)}
	limit, step, ok := numericBound(e, r)
	if !ok {
		if r == whitelist.WrongPhase {
			nm.Phases = map[string]int{}
			for _, v := range values {
				name := messages.Phase(v).String()
				if name == "" {
					name = "none"
				}
				nm.Phases[name]++
			}
		}
		return nm
	}
	up := bounds[r].up
	sorted := slices.DeleteFunc(slices.Clone(values), math.IsNaN)
	if len(sorted) == 0 {
		return nm
	}
	slices.Sort(sorted)
	if !up {
		slices.Reverse(sorted) // nearest the limit first
	}
	closest, farthest := sorted[0], sorted[len(sorted)-1]
	nm.Limit, nm.Closest, nm.Farthest = &limit, &closest, &farthest
	// The looser limits, a whole number of steps from the entry's: each
	// takes in the near misses up to it. Shown: the first maxSteps that take
	// in more (the farthest near misses are often far off: a markup of
	// 3,000 %).
	dir := 1.0
	if !up {
		dir = -1
	}
	var steps []Step
	for i, v := range sorted {
		k := max(1, math.Ceil((v-limit)*dir/step-1e-9))
		l := roundTo(limit+dir*k*step, step)
		if n := len(steps); n > 0 && steps[n-1].Limit == l {
			steps[n-1].More = i + 1
			continue
		}
		steps = append(steps, Step{Limit: l, More: i + 1})
	}
	nm.Steps = steps[:min(len(steps), maxSteps)]
	return nm
}

// numericBound returns the entry's limit for reason r and the step its
// near misses are shown in, or false for a condition that is not a number.
func numericBound(e *whitelist.Entry, r whitelist.Reason) (limit, step float64, ok bool) {
	switch r {
	case whitelist.MarkupTooHigh:
		return e.MaxMarkup, niceStep(max(e.MaxMarkup, 1) / 8), true
	case whitelist.PriceTooLow:
		return e.MinPrice, niceStep(max(e.MinPrice, 0.2) / 20), true
	case whitelist.PriceTooHigh:
		return e.MaxPrice, niceStep(max(e.MaxPrice, 0.2) / 20), true
	case whitelist.FloatTooLow:
		return e.MinFloat, niceStep(max(e.MinFloat, 0.01) / 10), true
	case whitelist.FloatTooHigh:
		return e.MaxFloat, niceStep(max(e.MaxFloat, 0.01) / 10), true
	case whitelist.TooFewStickers:
		return float64(e.MinStickers), 1, true
	}
	return 0, 0, false
}

// niceStep is the largest of 1, 2 and 5 times a power of ten that is at most
// x.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{5, 2, 1} {
		if m*p <= x*(1+1e-9) {
			return m * p
		}
	}
	return p
}

// roundTo rounds v to a whole number of steps, so that 8 + 3 × 0.1 shows
// as 8.3.
func roundTo(v, step float64) float64 {
	decimals := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	scale := math.Pow(10, float64(decimals))
	return math.Round(v*scale) / scale
}
