package whitelist

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rollsniper/rollsniper/internal/spell"
	"github.com/rollsniper/rollsniper/messages"
)

// Problem is one thing wrong with a whitelist file: where, and what to fix.
type Problem struct {
	// Path names the place: "items[3].wear", "defaults.max_markup", "items[2]",
	// or "line 4, column 7" for a JSON syntax error.
	Path string
	// Msg says what is wrong and how to fix it.
	Msg string
}

// String returns "path: msg".
func (p Problem) String() string { return p.Path + ": " + p.Msg }

// ValidationError lists every problem found in a whitelist file, in the order
// of the file, duplicates last.
type ValidationError struct {
	// File is the path the whitelist was loaded from; "" for Parse.
	File     string
	Problems []Problem
}

// Error returns one problem a line, each prefixed with the file's path when it
// is known, the way a compiler reports errors.
func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.File != "" {
			b.WriteString(e.File + ": ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Load reads the whitelist file at path and parses it. A file that is not a
// valid whitelist gives a *ValidationError listing every problem.
func Load(path string) (*List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read whitelist: %w", err)
	}
	l, err := Parse(data)
	if ve, ok := errors.AsType[*ValidationError](err); ok {
		ve.File = path
	}
	return l, err
}

// Parse builds a List from a whitelist file's contents (see the package
// documentation for the format). It reports every problem at once, as a
// *ValidationError, and returns a List only when there are none.
func Parse(data []byte) (*List, error) {
	p := &parser{}
	l := p.parse(data)
	if len(p.problems) > 0 {
		return nil, &ValidationError{Problems: p.problems}
	}
	l.sum = sha256.Sum256(data)
	l.warnings = p.warnings
	return l, nil
}

// The keys a file may use. entryKeys belong on entries only: the name, and
// what only makes sense of one item.
var (
	topKeys     = []string{"defaults", "items"}
	defaultKeys = []string{"wear", "stattrak", "souvenir", "max_markup", "min_price", "max_price", "joinable_only"}
	entryKeys   = []string{"name", "unchecked", "phase", "min_float", "max_float", "any_sticker", "min_stickers"}
	itemKeys    = append(entryKeys[:len(entryKeys):len(entryKeys)], defaultKeys...)
)

// spec is what an entry or the defaults say, each field with whether it was
// given.
type spec struct {
	wears              WearSet
	statTrak, souvenir Flag
	// markup and price bounds; NaN means "no limit" was asked for (null).
	maxMarkup, minPrice, maxPrice float64
	joinableOnly                  bool
	has                           map[string]bool
}

// builtin is what applies when neither an entry nor the defaults say.
var builtin = spec{
	wears:        AnyWear,
	statTrak:     No,
	souvenir:     No,
	maxMarkup:    math.Inf(1),
	minPrice:     0,
	maxPrice:     math.Inf(1),
	joinableOnly: true,
}

// parser collects the problems and warnings of one file.
type parser struct {
	problems, warnings []Problem
}

func (p *parser) add(path, format string, args ...any) {
	p.problems = append(p.problems, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) warn(path, format string, args ...any) {
	p.warnings = append(p.warnings, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) parse(data []byte) *List {
	var top any
	if err := json.Unmarshal(data, &top); err != nil {
		p.syntax(data, err)
		return nil
	}
	fields, ok := p.object("whitelist", data, topKeys, `{"items": [{"name": "AK-47 | Redline"}]}`)
	if !ok {
		return nil
	}
	defaults := builtin
	if raw, ok := fields["defaults"]; ok && !isNull(raw) {
		if f, ok := p.object("defaults", raw, defaultKeys, `{"max_markup": 10}`); ok {
			defaults = p.spec("defaults", f, builtin)
			p.bounds("defaults", defaults)
		}
	}
	raw, ok := fields["items"]
	if !ok || isNull(raw) {
		p.add("items", `missing: list the items to watch, e.g. "items": [{"name": "AK-47 | Redline"}]`)
		return nil
	}
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		p.add("items", "want a list of entries, got %s", quote(raw))
		return nil
	}
	if len(items) == 0 {
		p.add("items", `empty: add at least one entry, e.g. {"name": "AK-47 | Redline"}`)
		return nil
	}
	b := newBuilder(len(items))
	for i, raw := range items {
		path := "items[" + strconv.Itoa(i) + "]"
		f, ok := p.object(path, raw, itemKeys, `{"name": "AK-47 | Redline"}`)
		if !ok {
			continue
		}
		if e, n, ok := p.entry(path, i, f, defaults); ok {
			b.add(e, n.base, n.doppler, p)
		}
	}
	return b.list()
}

// syntax reports a JSON syntax error with its line and column.
func (p *parser) syntax(data []byte, err error) {
	se, ok := errors.AsType[*json.SyntaxError](err)
	if !ok {
		p.add("whitelist", "%v", err)
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		p.add("whitelist", `the file is empty: write {"items": [{"name": "AK-47 | Redline"}]}`)
		return
	}
	if se.Offset >= int64(len(data)) {
		p.add("end of file", "the JSON ends too early: close every quote, [ and { that is open")
		return
	}
	line, col := lineCol(data, se.Offset)
	p.add(fmt.Sprintf("line %d, column %d", line, col), "%v: check for a missing or extra comma, quote or bracket", se)
}

// lineCol converts a byte offset past the error into a 1-based line and column.
func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = int(offset) - bytes.LastIndexByte(before, '\n') - 1
	return line, max(col, 1)
}

// object decodes raw as a JSON object whose keys must be among known, and
// reports unknown and repeated keys. example is shown when raw is not an
// object.
func (p *parser) object(path string, raw json.RawMessage, known []string, example string) (map[string]json.RawMessage, bool) {
	if len(raw) == 0 || raw[0] != '{' {
		p.add(path, "want an object like %s, got %s", example, quote(raw))
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		p.add(path, "%v", err)
		return nil, false
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			p.add(path, "%v", err)
			return nil, false
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			p.add(path, "%v", err)
			return nil, false
		}
		if _, dup := fields[key]; dup {
			p.add(path, "key %q appears twice: keep one", key)
		}
		fields[key] = v
		if !contains(known, key) {
			p.unknownKey(path, key, known)
		}
	}
	return fields, true
}

// unknownKey reports key, suggesting the known key it most likely meant.
func (p *parser) unknownKey(path, key string, known []string) {
	if path == "defaults" && contains(entryKeys, key) {
		p.add(path, "%q belongs on each entry in items, not in defaults", key)
		return
	}
	if s := suggest(key, known); s != "" {
		p.add(path, "unknown key %q: did you mean %q?", clip(key), s)
		return
	}
	p.add(path, "unknown key %q: use %s", clip(key), strings.Join(quoteAll(known), ", "))
}

// suggest returns the known key that key is most likely a misspelling of, or "".
func suggest(key string, known []string) string {
	squash := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '_' || r == '-' || unicode.IsSpace(r) {
				return -1
			}
			return unicode.ToLower(r)
		}, s)
	}
	best, bestDist := "", 3
	for _, k := range known {
		if squash(k) == squash(key) {
			return k
		}
		if d := spell.Distance(strings.ToLower(key), k, bestDist); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// spec reads the fields every entry and the defaults share, on top of base.
func (p *parser) spec(path string, f map[string]json.RawMessage, base spec) spec {
	s := base
	s.has = map[string]bool{}
	if raw, ok := f["wear"]; ok {
		if w, ok := p.wear(path+".wear", raw); ok {
			s.wears, s.has["wear"] = w, true
		}
	}
	for _, fl := range [...]struct {
		key string
		dst *Flag
	}{{"stattrak", &s.statTrak}, {"souvenir", &s.souvenir}} {
		if raw, ok := f[fl.key]; ok {
			if v, ok := p.flag(path+"."+fl.key, raw); ok {
				*fl.dst, s.has[fl.key] = v, true
			}
		}
	}
	for _, n := range [...]struct {
		key, what string
		dst       *float64
		none      float64
	}{
		{"max_markup", "markup in percent", &s.maxMarkup, math.Inf(1)},
		{"min_price", "price in coins", &s.minPrice, 0},
		{"max_price", "price in coins", &s.maxPrice, math.Inf(1)},
	} {
		if raw, ok := f[n.key]; ok {
			if v, ok := p.number(path+"."+n.key, raw, n.what, n.none); ok {
				*n.dst, s.has[n.key] = v, true
			}
		}
	}
	if raw, ok := f["joinable_only"]; ok {
		if err := json.Unmarshal(raw, &s.joinableOnly); err != nil || isNull(raw) {
			p.add(path+".joinable_only", "want true or false, got %s", quote(raw))
		} else {
			s.has["joinable_only"] = true
		}
	}
	if s.statTrak == Yes && s.souvenir == Yes {
		p.add(path, `stattrak and souvenir are both "yes", which no item is: set one of them to "no" or "any"`)
	}
	return s
}

// bounds reports a min_price above max_price; the message says which side
// came from the defaults. When both came from the defaults, the problem was
// reported there, once.
func (p *parser) bounds(path string, s spec) {
	if s.minPrice <= s.maxPrice || (path != "defaults" && !s.has["min_price"] && !s.has["max_price"]) {
		return
	}
	from := func(key string) string {
		if s.has[key] {
			return ""
		}
		return " (from defaults)"
	}
	p.add(path+".min_price", "%s%s is above max_price %s%s: lower min_price or raise max_price",
		formatNumber(s.minPrice), from("min_price"), formatNumber(s.maxPrice), from("max_price"))
}

const wearChoices = "Factory New, Minimal Wear, Field-Tested, Well-Worn, Battle-Scarred (or FN, MW, FT, WW, BS), none, or any"

// wear reads a wear field: a tier name, "any", "none", or a list of those.
func (p *parser) wear(path string, raw json.RawMessage) (WearSet, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil && raw[0] == '"' {
		w, ok := parseWear(one)
		if !ok {
			p.add(path, "unknown wear tier %q: use %s", clip(one), wearChoices)
		}
		return w, ok
	}
	var list []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		p.add(path, `want a wear tier or a list of them, e.g. "Field-Tested" or ["FN", "MW"], got %s`, quote(raw))
		return 0, false
	}
	if len(list) == 0 {
		p.add(path, `empty list: name at least one tier, or use "any"`)
		return 0, false
	}
	var set WearSet
	ok := true
	for i, el := range list {
		elPath := path + "[" + strconv.Itoa(i) + "]"
		if json.Unmarshal(el, &one) != nil || el[0] != '"' {
			p.add(elPath, "want a wear tier, got %s", quote(el))
			ok = false
			continue
		}
		w, good := parseWear(one)
		if !good {
			p.add(elPath, "unknown wear tier %q: use %s", clip(one), wearChoices)
			ok = false
		}
		set |= w
	}
	return set, ok
}

// parseWear reads one tier name, abbreviation, "none" or "any", in any case.
func parseWear(s string) (WearSet, bool) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "any":
		return AnyWear, true
	case "none":
		return 1, true
	}
	for i, w := range messages.Wears {
		abbrev := [...]string{"FN", "MW", "FT", "WW", "BS"}[i]
		if strings.EqualFold(s, string(w)) || strings.EqualFold(s, abbrev) {
			return 2 << i, true
		}
	}
	return 0, false
}

// flag reads a stattrak or souvenir field: "yes", "no", "any", true or false.
func (p *parser) flag(path string, raw json.RawMessage) (Flag, bool) {
	switch string(raw) {
	case "true":
		return Yes, true
	case "false":
		return No, true
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "yes":
			return Yes, true
		case "no":
			return No, true
		case "any":
			return Any, true
		}
	}
	p.add(path, `want "yes", "no" or "any" (or true or false), got %s`, quote(raw))
	return 0, false
}

// number reads a non-negative number, or null for none.
func (p *parser) number(path string, raw json.RawMessage, what string, none float64) (float64, bool) {
	if isNull(raw) {
		return none, true
	}
	var v float64
	if raw[0] == '"' {
		var s string
		_ = json.Unmarshal(raw, &s)
		if n, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")), 64); err == nil {
			p.add(path, "want a number, got the string %s: write %s without quotes", quote(raw), formatNumber(n))
			return 0, false
		}
	}
	if json.Unmarshal(raw, &v) != nil {
		p.add(path, "want a %s, or null for no limit, got %s", what, quote(raw))
		return 0, false
	}
	if v < 0 {
		p.add(path, "%s is negative: use a %s of 0 or more, or null for no limit", formatNumber(v), what)
		return 0, false
	}
	return v, true
}

// entry reads one item of the list on top of the defaults, checks its name
// against its fields and, unless it is unchecked, against the item
// catalogue. It returns the entry and its name taken apart, whose base its
// keys are built from.
func (p *parser) entry(path string, i int, f map[string]json.RawMessage, defaults spec) (Entry, splitName, bool) {
	before := len(p.problems)
	s := p.spec(path, f, defaults)
	x := p.conditions(path, f)
	var name string
	raw, ok := f["name"]
	if !ok {
		p.add(path+".name", `missing: name the item, e.g. "name": "AK-47 | Redline"`)
	} else if raw[0] != '"' || json.Unmarshal(raw, &name) != nil {
		p.add(path+".name", "want the item's name as a string, got %s", quote(raw))
	} else if strings.TrimFunc(name, unicode.IsSpace) == "" {
		p.add(path+".name", `empty: name the item, e.g. "AK-47 | Redline"`)
	}
	n := split(name)
	if strings.TrimFunc(name, unicode.IsSpace) != "" && strings.TrimFunc(n.base, unicode.IsSpace) == "" {
		p.add(path+".name", "%q names no item once its prefixes and wear are removed: add the weapon and skin, e.g. \"AK-47 | Redline\"", clip(name))
	}
	if key, fits := appendKey(make([]byte, 0, keyCap), n.base, 0, 0); !fits && len(key) > 0 {
		p.add(path+".name", "too long: at most %d bytes", maxNameBytes)
	}
	// The name's prefixes and suffix fix their dimension; an explicit field that
	// excludes what the name says is a contradiction.
	switch {
	case n.statTrak && n.souvenir:
		p.add(path+".name", "%q has both a StatTrak™ and a Souvenir prefix, which no item has: remove one", clip(name))
	case n.statTrak:
		if s.has["stattrak"] && s.statTrak == No {
			p.add(path+".stattrak", `"no" contradicts the name's StatTrak™ prefix: remove one of them`)
		}
		if s.has["souvenir"] && s.souvenir == Yes {
			p.add(path+".souvenir", `"yes" contradicts the name's StatTrak™ prefix (no item is both): remove one of them`)
		}
		s.statTrak, s.souvenir = Yes, No
	case n.souvenir:
		if s.has["souvenir"] && s.souvenir == No {
			p.add(path+".souvenir", `"no" contradicts the name's Souvenir prefix: remove one of them`)
		}
		if s.has["stattrak"] && s.statTrak == Yes {
			p.add(path+".stattrak", `"yes" contradicts the name's Souvenir prefix (no item is both): remove one of them`)
		}
		s.souvenir, s.statTrak = Yes, No
	}
	if n.wear != messages.WearNone {
		if s.has["wear"] && !s.wears.Has(n.wear) {
			p.add(path+".wear", "%s contradicts the name's (%s): remove one of them", s.wears, n.wear)
		}
		s.wears = WearSet(2) << (wearIndex(n.wear) - 1)
	}
	if n.phase != messages.PhaseNone {
		if x.has["phase"] && !x.phases.Has(n.phase) {
			p.add(path+".phase", "%s contradicts the name's %s: remove one of them", x.phases, n.phase)
		}
		x.phases = PhaseSet(1) << n.phase
	}
	if x.phases != 0 && !n.doppler && n.base != "" {
		p.add(path+".phase", "%q is no Doppler or Gamma Doppler: only those come in phases", clip(name))
	}
	p.bounds(path, s)
	p.floatsMeetWear(path, s, x)
	display := strings.Join(strings.Fields(n.base), " ")
	if n.star {
		display = "★ " + display
	}
	nameOK := !slices.ContainsFunc(p.problems[before:], func(pr Problem) bool { return pr.Path == path+".name" })
	if !x.unchecked && nameOK && strings.TrimFunc(n.base, unicode.IsSpace) != "" {
		// What the item can be is checked only against fields without
		// problems of their own; the name always is.
		if known := p.checkItem(path, name, n, s, x, len(p.problems) == before); known != "" {
			display = known
		}
	}
	if len(p.problems) > before {
		return Entry{}, n, false
	}
	e := Entry{
		Index:        i,
		Name:         display,
		Wears:        s.wears,
		StatTrak:     s.statTrak,
		Souvenir:     s.souvenir,
		MaxMarkup:    s.maxMarkup,
		MinPrice:     s.minPrice,
		MaxPrice:     s.maxPrice,
		JoinableOnly: s.joinableOnly,
		Phases:       x.phases,
		MinFloat:     x.minFloat,
		MaxFloat:     x.maxFloat,
		AnySticker:   x.anySticker,
		MinStickers:  x.minStickers,
		Unchecked:    x.unchecked,
		stickerKeys:  x.stickerKeys,
	}
	e.desc = e.describe()
	return e, n, true
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strconv.Quote(s)
	}
	return out
}

// clip shortens s for a message, so a problem never echoes more than the start
// of the offending value.
func clip(s string) string {
	const most = 60
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// quote renders a raw JSON value for a message, clipped.
func quote(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	return clip(string(raw))
}
