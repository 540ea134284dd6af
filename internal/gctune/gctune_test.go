package gctune

import (
	"runtime/debug"
	"testing"
)

// Current reads back what was set, and -1 for collection turned off.
// (Apply is tested on the built program: cmd/sniper's TestBinaryProcs.)
func TestCurrentReadsTheTargetInEffect(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(250))
	if got := Current(); got != 250 {
		t.Errorf("Current() = %d after SetGCPercent(250)", got)
	}
	debug.SetGCPercent(-1)
	if got := Current(); got != -1 {
		t.Errorf("Current() = %d with collection off, want -1", got)
	}
}
