package main

// This file is the chaos soak of two connections: each dropped at random,
// independently, never both at once, against one connection dropped with
// the first.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// The routes of the lines soak: the two-connection binary's lines, and the
// one-connection binary's line, which is dropped with the first.
const (
	soakLine1 = "/ws?line=1"
	soakLine2 = "/graphql"
	soakSolo  = "/ws?line=solo"
)

// soakLinesDrops is how many drops TestSoak's lines phase makes for its
// faults: a quarter of them, which keeps the soak's short form about as quick.
func soakLinesDrops(faults int) int { return max(faults/4, 20) }

// soakLines runs two binaries against one fake feed while it publishes
// trades without pause: one with two connections, on soakLine1 and
// soakLine2, and one with a single connection, on soakSolo. It makes drops
// drops, each of one of the two lines picked at random, and only while the
// other is subscribed (never both at once); a drop of line 1 drops the single
// connection too, so both binaries see the same gaps. The two-connection
// binary must print every trade published, exactly once; the single one
// loses those published during its gaps. It returns both figures, side by
// side, in one line.
func soakLines(ctx context.Context, t *testing.T, drops int) string {
	t.Helper()
	srv := rolltest.Start(t, fakeroll.Options{InitTimeout: time.Second})
	base := strings.TrimSuffix(srv.URL(), "/ws")
	timings := []string{"-backoff-initial", "1ms", "-backoff-max", "8ms", "-ping-interval", "1m", "-ack-timeout", "2s"}
	two, twoOut, twoErr := soakStart(ctx, t, srv, append(timings, "-url", base+soakLine1+","+base+soakLine2)...)
	one, oneOut, oneErr := soakStart(ctx, t, srv, append(timings, "-url", base+soakSolo)...)
	twoMetrics := soakMetricsURL(ctx, t, twoErr)
	soakMetricsURL(ctx, t, oneErr)
	if err := srv.WaitSubscribed(ctx, 3); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(uint64(drops), 2))
	start := time.Now()
	var published []string
	dropped := [2]int{}
	for dropped[0]+dropped[1] < drops {
		for range 1 + rng.IntN(10) {
			tr := srv.NewTrade()
			srv.Publish(tr)
			published = append(published, tr.ID)
		}
		// Each line has its own chance of a drop after each run of trades,
		// taken only while the other line is subscribed.
		for _, line := range rng.Perm(2) {
			if rng.IntN(40) != 0 {
				continue
			}
			ss := srv.Sessions()
			if !pathUp(ss, soakLine1) || !pathUp(ss, soakLine2) {
				continue // a line is reconnecting: never both down at once
			}
			// Nothing in flight when a line goes: what only one line
			// carried is then in hand, and what both carry the other
			// still brings.
			twoOut.waitLines(ctx, t, len(published))
			if line == 0 {
				srv.DropWhere(func(s fakeroll.Session) bool { return s.Path == soakLine1 || s.Path == soakSolo })
			} else {
				srv.DropWhere(func(s fakeroll.Session) bool { return s.Path == soakLine2 })
			}
			dropped[line]++
			break
		}
	}
	if err := srv.Wait(ctx, func(ss []fakeroll.Session) bool {
		return pathUp(ss, soakLine1) && pathUp(ss, soakLine2) && pathUp(ss, soakSolo)
	}); err != nil {
		t.Fatal(err)
	}
	// A last trade both binaries get, to know when they have printed all.
	last := publishIDs(srv, 1)
	published = append(published, last...)
	twoOut.waitLines(ctx, t, len(published))
	oneOut.waitUntil(ctx, t, "the last trade", func() bool { return strings.Contains(oneOut.buf.String(), last[0]) })
	took := time.Since(start)

	printed := twoOut.tradeIDs(t)
	if !slices.Equal(sorted(printed), sorted(published)) {
		t.Errorf("two connections printed %d trades, want the %d published, each once", len(printed), len(published))
	}
	m := scrape(ctx, t, twoMetrics)
	for i, n := range dropped {
		if got := m[fmt.Sprintf(`rollsniper_reconnects_total{conn="%d",reason="%s"}`, i+1, gqlws.ReasonDropped)]; got != float64(n) {
			t.Errorf("connection %d counted %v drops, want the %d it had", i+1, got, n)
		}
	}
	if got := sumOver(m, "rollsniper_trades_first_total"); got != float64(len(published)) {
		t.Errorf("the connections delivered %v trades first, want %d", got, len(published))
	}
	solo := oneOut.tradeIDs(t)
	if len(solo) != len(slices.Compact(sorted(solo))) || !subsequence(solo, published) {
		t.Errorf("one connection printed %d trades, some twice or never published", len(solo))
	}
	if drops > 0 && len(solo) >= len(published) {
		t.Errorf("one connection printed %d of %d trades through %d drops: its gaps lost nothing?", len(solo), len(published), dropped[0])
	}
	for name, cmd := range map[string]*exec.Cmd{"two connections": two, "one connection": one} {
		if err := soakSignal(cmd); err != nil {
			t.Errorf("%s: exit after SIGINT: %v", name, err)
		}
	}
	return fmt.Sprintf("%d drops in %v, each line at random, never both at once (connection 1 ×%d, connection 2 ×%d): "+
		"two connections printed %d/%d trades, each once (%.0f copies dropped); one connection, dropped with connection 1, printed %d/%d (%d lost in its gaps)",
		drops, took.Round(time.Millisecond), dropped[0], dropped[1], len(printed), len(published),
		sumOver(m, "rollsniper_duplicates_dropped_total"), len(solo), len(published), len(published)-len(solo))
}

// pathUp reports whether a session on path is subscribed and open.
func pathUp(ss []fakeroll.Session, path string) bool {
	for _, s := range ss {
		if s.Path == path && s.Subscribed && !s.Closed {
			return true
		}
	}
	return false
}

// sorted returns a sorted copy of ids.
func sorted(ids []string) []string {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}

// subsequence reports whether sub is want with some left out, in want's order.
func subsequence(sub, want []string) bool {
	return inOrder(want, sub) == len(sub)
}

// soakSignal stops a soak binary with SIGINT and returns how it exited.
func soakSignal(cmd *exec.Cmd) error {
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		return err
	}
	return cmd.Wait()
}

// Two connections dropped at random, one at a time: every trade published
// is printed once, where one connection loses those of its gaps. TestSoak
// runs the same with many more drops.
func TestTwoConnectionsLoseNothingToDrops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Log(soakLines(ctx, t, 20))
}
