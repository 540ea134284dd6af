package journal_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: the package and the
// zstd codec, as configured here, start none.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
