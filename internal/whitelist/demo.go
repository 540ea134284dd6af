package whitelist

import (
	_ "embed"
	"slices"
)

//go:embed demo.json
var demoJSON []byte

// Demo returns the demo whitelist: entries for items of the fake feed's
// catalogue, loose enough that the demo shows a match within a minute, tight
// enough that most trades do not match. It panics if the embedded file is
// invalid, which a test rules out.
func Demo() *List {
	l, err := Parse(demoJSON)
	if err != nil {
		panic("whitelist: the embedded demo whitelist is invalid: " + err.Error())
	}
	return l
}

// DemoJSON returns the demo whitelist's file, for a program that reads the
// demo's entries from a file (feedbench hands it to the sniper binary).
func DemoJSON() []byte { return slices.Clone(demoJSON) }
