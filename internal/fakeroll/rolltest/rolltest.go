package rolltest

import (
	"testing"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
)

// Start starts a fake feed on loopback for the test and closes it, checking
// that every goroutine it started has ended, when the test is done.
func Start(tb testing.TB, opts fakeroll.Options) *fakeroll.Server {
	tb.Helper()
	srv, err := fakeroll.Start(opts)
	if err != nil {
		tb.Fatalf("start fake feed: %v", err)
	}
	tb.Cleanup(func() {
		if err := srv.Close(); err != nil {
			tb.Errorf("close fake feed: %v", err)
		}
	})
	return srv
}
