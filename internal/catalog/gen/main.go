// Command gen checks the item catalogue's data and generates the Go tables
// that package catalog is built from, so that the build needs neither the
// data's source nor any parsing at run time.
//
// Run by go generate in internal/catalog, it reads the committed copy
// (data/cs2-skins.json.gz) and rewrites skins_gen.go. Given another source
// (-src path/to/cs2-skins.json), it also replaces the committed copy with a
// compressed copy of that file.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/rollsniper/rollsniper/messages"
)

// copyPath is where the committed, compressed copy of the data lives, from
// the package's folder.
const copyPath = "data/cs2-skins.json.gz"

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "the catalog package's folder")
	src := fs.String("src", copyPath, "the data: cs2-skins.json, or a gzip of it; relative to -dir")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srcPath := *src
	if !filepath.IsAbs(srcPath) {
		srcPath = filepath.Join(*dir, srcPath)
	}
	raw, err := os.ReadFile(srcPath)
	if err != nil {
		return err
	}
	data, err := gunzipIfNeeded(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", srcPath, err)
	}
	code, err := generate(data, filepath.Base(copyPath))
	if err != nil {
		return fmt.Errorf("%s: %w", srcPath, err)
	}
	if filepath.Clean(srcPath) != filepath.Join(*dir, copyPath) {
		if err := os.WriteFile(filepath.Join(*dir, copyPath), compress(data), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(*dir, "skins_gen.go"), code, 0o644)
}

// gunzipIfNeeded returns raw decompressed when it is a gzip stream, raw itself
// otherwise.
func gunzipIfNeeded(raw []byte) ([]byte, error) {
	if !bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		return raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// compress returns data gzipped without a name or time in the header, so the
// same data gives the same bytes.
func compress(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	_, _ = zw.Write(data)
	_ = zw.Close()
	return b.Bytes()
}

// file is the data's layout.
type file struct {
	Source    string   `json:"source"`
	License   string   `json:"license"`
	Generated string   `json:"generated"`
	Skins     []skin   `json:"skins"`
	Agents    []string `json:"agents"`
}

type skin struct {
	Weapon   string   `json:"weapon"`
	Finish   string   `json:"finish"`
	MinFloat float64  `json:"min_float"`
	MaxFloat float64  `json:"max_float"`
	StatTrak bool     `json:"stattrak"`
	Rarity   string   `json:"rarity"`
	Category string   `json:"category"`
	Wears    []string `json:"wears"`
	Phases   []string `json:"phases"`
}

// correction is a fact of the source the generator changes, with why.
type correction struct {
	weapon, finish, why string
	apply               func(*skin)
}

var corrections = []correction{{
	weapon: "M4A4", finish: "Howl",
	why: "StatTrak™ Howls exist (the Huntsman Weapon Case dropped them before the skin became Contraband); " +
		"the source, judging by the cases that hold a skin now, says none",
	apply: func(s *skin) { s.StatTrak = true },
}}

// categories maps the source's categories to the catalog package's constants.
var categories = map[string]string{
	"Pistols": "Pistols", "Rifles": "Rifles", "SMGs": "SMGs", "Heavy": "Heavy", "Knives": "Knives", "Gloves": "Gloves",
}

// tiers are the wear tiers with their float ranges.
var tiers = []struct {
	wear         messages.Wear
	lower, upper float64
}{
	{messages.WearFactoryNew, 0, 0.07},
	{messages.WearMinimalWear, 0.07, 0.15},
	{messages.WearFieldTested, 0.15, 0.38},
	{messages.WearWellWorn, 0.38, 0.45},
	{messages.WearBattleScarred, 0.45, 1},
}

// check reports what is wrong with the data, every problem at once.
func check(f *file) error {
	var errs []error
	if f.Source == "" || f.License == "" {
		errs = append(errs, errors.New(`"source" and "license" must say where the data comes from`))
	}
	if len(f.Skins) == 0 {
		errs = append(errs, errors.New("no skins"))
	}
	seen := map[[2]string]bool{}
	for i, s := range f.Skins {
		at := fmt.Sprintf("skins[%d] %s | %s", i, s.Weapon, s.Finish)
		fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(at+": "+format, args...)) }
		if s.Weapon == "" || s.Finish == "" || strings.Contains(s.Weapon, "|") || strings.Contains(s.Finish, "|") {
			fail("weapon and finish must be non-empty and without |")
		}
		if strings.HasPrefix(s.Weapon, "★") {
			fail("weapon with ★: the source names knives and gloves without it")
		}
		key := [2]string{s.Weapon, s.Finish}
		if seen[key] {
			fail("listed twice")
		}
		seen[key] = true
		if i > 0 {
			if p := f.Skins[i-1]; p.Weapon > s.Weapon || p.Weapon == s.Weapon && p.Finish > s.Finish {
				fail("out of order: skins are sorted by weapon, then finish")
			}
		}
		if !(0 <= s.MinFloat && s.MinFloat < s.MaxFloat && s.MaxFloat <= 1) {
			fail("float range %v-%v: want 0 <= min < max <= 1", s.MinFloat, s.MaxFloat)
		}
		if _, ok := categories[s.Category]; !ok {
			fail("unknown category %q", s.Category)
		}
		var want []string
		for _, t := range tiers {
			if s.MinFloat < t.upper && s.MaxFloat > t.lower {
				want = append(want, string(t.wear))
			}
		}
		if !slices.Equal(s.Wears, want) {
			fail("wears %v, but its float range %v-%v gives %v", s.Wears, s.MinFloat, s.MaxFloat, want)
		}
		_, phase := messages.CutPhase(s.Finish)
		if phase != messages.PhaseNone {
			fail("the finish ends in a phase: phases go in \"phases\"")
		}
		if (len(s.Phases) > 0) != messages.EndsWithDoppler(s.Finish) {
			fail("phases %v: Doppler and Gamma Doppler finishes have phases, others none", s.Phases)
		}
		for _, p := range s.Phases {
			if _, ok := messages.ParsePhase(p); !ok || strings.TrimSpace(p) != p {
				fail("unknown phase %q", p)
			}
		}
	}
	for i, a := range f.Agents {
		if a == "" || strings.TrimSpace(a) != a {
			errs = append(errs, fmt.Errorf("agents[%d] %q: want a name without surrounding spaces", i, a))
		}
	}
	return errors.Join(errs...)
}

// generate checks data and returns the Go source of skins_gen.go. from names
// the file the data was read from, for the header.
func generate(data []byte, from string) ([]byte, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if err := check(&f); err != nil {
		return nil, err
	}
	var applied []string
	for _, c := range corrections {
		i := slices.IndexFunc(f.Skins, func(s skin) bool { return s.Weapon == c.weapon && s.Finish == c.finish })
		if i < 0 {
			return nil, fmt.Errorf("correction to %s | %s: no such skin in the data", c.weapon, c.finish)
		}
		c.apply(&f.Skins[i])
		applied = append(applied, wrap(fmt.Sprintf("%s | %s: %s.", c.weapon, c.finish, c.why), "//   - ", "//     "))
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by go run ./gen from data/%s; DO NOT EDIT.\n\n", from)
	b.WriteString("// The tables in this file come from ByMykel/CSGO-API, MIT License, Copyright\n")
	b.WriteString("// (c) 2023 ByMykel: the licence is in data/LICENSE and travels with them.\n//\n")
	fmt.Fprintf(&b, "// Source: %s.\n", f.Source)
	b.WriteString("//\n// Changed from the source:\n")
	for _, a := range applied {
		b.WriteString(a + "\n")
	}
	b.WriteString("\npackage catalog\n\nimport \"github.com/rollsniper/rollsniper/messages\"\n\n")
	fmt.Fprintf(&b, "// source says where the data comes from.\nconst source = %s\n\n", strconv.Quote(f.Source))
	fmt.Fprintf(&b, "// snapshot is the date the data was taken.\nconst snapshot = %s\n\n", strconv.Quote(f.Generated))
	b.WriteString("// skins are the weapon, knife and glove skins, sorted by weapon, then finish.\n")
	b.WriteString("var skins = [...]Skin{\n")
	for _, s := range f.Skins {
		phases := "nil"
		if len(s.Phases) > 0 {
			var ps []string
			for _, p := range s.Phases {
				ph, _ := messages.ParsePhase(p)
				ps = append(ps, "messages."+phaseConst(ph))
			}
			phases = "[]messages.Phase{" + strings.Join(ps, ", ") + "}"
		}
		fmt.Fprintf(&b, "\t{%s, %s, %s, %s, %t, %s, %s, %s},\n",
			strconv.Quote(s.Weapon), strconv.Quote(s.Finish),
			strconv.FormatFloat(s.MinFloat, 'g', -1, 64), strconv.FormatFloat(s.MaxFloat, 'g', -1, 64),
			s.StatTrak, categories[s.Category], strconv.Quote(s.Rarity), phases)
	}
	b.WriteString("}\n\n// agents are the agents' names.\nvar agents = [...]string{\n")
	for _, a := range f.Agents {
		fmt.Fprintf(&b, "\t%s,\n", strconv.Quote(a))
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

// phaseConst is the name of p's constant in package messages.
func phaseConst(p messages.Phase) string {
	switch p {
	case messages.PhaseRuby:
		return "PhaseRuby"
	case messages.PhaseSapphire:
		return "PhaseSapphire"
	case messages.PhaseBlackPearl:
		return "PhaseBlackPearl"
	case messages.PhaseEmerald:
		return "PhaseEmerald"
	}
	return "Phase" + strconv.Itoa(int(p))
}

// wrap breaks text into comment lines of at most 80 columns, the first
// beginning with first, the others with rest.
func wrap(text, first, rest string) string {
	var b strings.Builder
	line := first
	for i, w := range strings.Fields(text) {
		if i > 0 && len(line)+1+len(w) > 80 {
			b.WriteString(line + "\n")
			line = rest + w
			continue
		}
		if i > 0 {
			line += " "
		}
		line += w
	}
	b.WriteString(line)
	return b.String()
}
