package backtest

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rollsniper/rollsniper/internal/whitelist"
)

// WriteJSON writes r as one indented JSON object, for scripts.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// timeLayout is how the table shows a time: UTC, to the second.
const timeLayout = "2006-01-02 15:04:05"

// WriteTable writes r for a person at a terminal: what the journal held,
// each entry with its matches and near misses, the entries whose item never
// appeared, and the totals of each day.
func (r *Report) WriteTable(out io.Writer) error {
	w := bufio.NewWriter(out)
	c := r.Coverage
	fmt.Fprintf(w, "Backtest of %s on %s\n", r.Whitelist, strings.Join(r.Journal, " "))
	if c.Frames == 0 {
		fmt.Fprintf(w, "The journal holds no frame")
		if r.From != nil || r.To != nil {
			fmt.Fprintf(w, " in the window asked for (%s)", window(r.From, r.To))
		}
		fmt.Fprintln(w, ".")
		return w.Flush()
	}
	fmt.Fprintf(w, "Recorded %s to %s UTC (%s)", c.First.UTC().Format(timeLayout), c.Last.UTC().Format(timeLayout), duration(c.Last.Sub(c.First)))
	if r.From != nil || r.To != nil {
		fmt.Fprintf(w, ", within %s", window(r.From, r.To))
	}
	fmt.Fprintf(w, ": %s trades in %s frames, %s", count(r.Trades), count(c.Frames), plural(c.Sessions, "connection session"))
	fmt.Fprintln(w, ".")
	var notes []string
	if c.Skipped > 0 {
		notes = append(notes, fmt.Sprintf("%s skipped as malformed", plural(c.Skipped, "frame or trade", "frames or trades")))
	}
	if c.Lost > 0 {
		notes = append(notes, fmt.Sprintf("%s lost by the recorder (its queue was full)", plural(c.Lost, "frame")))
	}
	if c.DamagedSegments > 0 {
		notes = append(notes, fmt.Sprintf("%s skipped in %s (a torn tail after a crash, or corruption)", plural(uint64(c.DamagedBytes), "byte"), plural(uint64(c.DamagedSegments), "damaged segment")))
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "Note: %s.\n", strings.Join(notes, "; "))
	}
	fmt.Fprintf(w, "%s matched, of %s trades.\n", plural(r.Matches, "trade"), count(r.Trades))

	var never []EntryReport
	for _, e := range r.Entries {
		if e.NeverSeen {
			never = append(never, e)
			continue
		}
		writeEntry(w, &e)
	}
	if len(never) > 0 {
		fmt.Fprintf(w, "\nNever seen in the recording:\n")
		for _, e := range never {
			fmt.Fprintf(w, "  %s\n", e.Entry)
			if e.OtherVariants > 0 {
				fmt.Fprintf(w, "      the name traded %s, in wears or variants (StatTrak, Souvenir) the entry does not accept\n", plural(e.OtherVariants, "time"))
			} else {
				fmt.Fprintf(w, "      no trade of this name in any wear: check its spelling, or it is rare\n")
			}
		}
	}

	fmt.Fprintf(w, "\nEach day (UTC):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "day\ttrades\tmatches\tbusiest minute\ttrades in it\t\n")
	for _, d := range r.Days {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", d.Day, count(d.Trades), count(d.Matches), d.BusiestMinute.UTC().Format("15:04"), count(uint64(d.BusiestTrades)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return w.Flush()
}

// writeEntry writes one seen entry: its matches, what turned its item's
// other trades down, and its near misses.
func writeEntry(w io.Writer, e *EntryReport) {
	fmt.Fprintf(w, "\n%s\n", e.Entry)
	if e.Matches > 0 {
		fmt.Fprintf(w, "  %s (%s joinable), first %s, last %s UTC\n", plural(e.Matches, "match", "matches"), count(e.Joinable),
			e.First.UTC().Format(timeLayout), e.Last.UTC().Format(timeLayout))
		fmt.Fprintf(w, "  price %s to %s, markup %s%% to %s%%\n", number(e.Price.Min), number(e.Price.Max), number(e.Markup.Min), number(e.Markup.Max))
	} else {
		fmt.Fprintf(w, "  no match\n")
	}
	if len(e.Rejected) > 0 {
		reasons := slices.Sorted(maps.Keys(e.Rejected))
		slices.SortStableFunc(reasons, func(a, b string) int { return cmp.Compare(e.Rejected[b], e.Rejected[a]) })
		parts := make([]string, len(reasons))
		for i, reason := range reasons {
			parts[i] = fmt.Sprintf("%s %s", count(e.Rejected[reason]), reason)
		}
		fmt.Fprintf(w, "  %s of the item turned down: %s\n", plural(e.Seen-e.Matches, "trade"), strings.Join(parts, ", "))
	}
	for i, nm := range e.NearMisses {
		lead := "  near misses: "
		if i > 0 {
			lead = "               "
		}
		fmt.Fprintf(w, "%s%s\n", lead, nearMissText(&nm))
	}
}

// nearMissText says what a near miss's bound would have had to be.
func nearMissText(nm *NearMiss) string {
	switch {
	case len(nm.Steps) > 0:
		var b strings.Builder
		for i, s := range nm.Steps {
			if i == 0 {
				fmt.Fprintf(&b, "%s more with %s %s instead of %s", count(uint64(s.More)), nm.Bound, number(s.Limit), number(*nm.Limit))
			} else {
				fmt.Fprintf(&b, "; %s with %s", count(uint64(s.More)), number(s.Limit))
			}
		}
		return b.String()
	case nm.Reason == whitelist.CannotJoin.String():
		return fmt.Sprintf("%s more with joinable_only false (they could not be joined yet when listed)", count(uint64(nm.Trades)))
	case nm.Reason == whitelist.WrongPhase.String():
		phases := slices.Sorted(maps.Keys(nm.Phases))
		parts := make([]string, len(phases))
		for i, p := range phases {
			parts[i] = fmt.Sprintf("%s %d", p, nm.Phases[p])
		}
		return fmt.Sprintf("%s more in other phases (%s)", count(uint64(nm.Trades)), strings.Join(parts, ", "))
	case nm.Reason == whitelist.FloatUnknown.String():
		return fmt.Sprintf("%s more without the float bounds (the feed gave no single float for them)", count(uint64(nm.Trades)))
	case nm.Reason == whitelist.NoWantedSticker.String():
		return fmt.Sprintf("%s more without any_sticker", count(uint64(nm.Trades)))
	}
	return fmt.Sprintf("%s more without %s", count(uint64(nm.Trades)), nm.Bound)
}

// window describes [from, to).
func window(from, to *time.Time) string {
	switch {
	case from != nil && to != nil:
		return fmt.Sprintf("-from %s -to %s", from.UTC().Format(timeLayout), to.UTC().Format(timeLayout))
	case from != nil:
		return "-from " + from.UTC().Format(timeLayout)
	case to != nil:
		return "-to " + to.UTC().Format(timeLayout)
	}
	return ""
}

// duration formats a duration to the second, in hours and minutes.
func duration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// count writes n with thousands separated by commas: 95,210.
func count(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// plural is n and the noun, in the plural unless n is 1 (the second form, if
// given, is the plural).
func plural(n uint64, noun string, pluralForm ...string) string {
	if n == 1 {
		return "1 " + noun
	}
	if len(pluralForm) > 0 {
		return count(n) + " " + pluralForm[0]
	}
	return count(n) + " " + noun + "s"
}

// number writes v as briefly as it reads back: 8, 12.5, 0.07.
func number(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}
