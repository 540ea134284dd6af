package fakeroll

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// readIDs reads frames from c until it has at least n trade ids, in order.
func readIDs(tb testing.TB, c *client, n int) []string {
	tb.Helper()
	var ids []string
	for len(ids) < n {
		_, _, ts := nextTrades(tb, c.read())
		for _, tr := range ts {
			ids = append(ids, tr.ID)
		}
	}
	return ids
}

// The market is one, as on the real feed: two subscribers, in either shape,
// get the same trades in the same order from the moment both listen.
func TestMarketIsTheSameForEverySubscriber(t *testing.T) {
	s := startServer(t, Options{TradeInterval: time.Millisecond, BatchMax: 3, Seed: 5})
	a := subscribed(t, s, gqlws.SubCreateTrades)
	b := subscribed(t, s, gqlws.SubCreateTrade)
	const n = 40
	bs := readIDs(t, b, n)
	as := readIDs(t, a, 4*n) // a subscribed first: its first trades came before b's
	i := slices.Index(as, bs[0])
	if i < 0 {
		t.Fatalf("the second subscriber's first trade %s never reached the first (%d trades read): each has a market of its own", bs[0], len(as))
	}
	as = as[i:]
	if len(as) < n {
		as = append(as, readIDs(t, a, n-len(as))...)
	}
	if !slices.Equal(as[:n], bs[:n]) {
		t.Errorf("the subscribers saw different trades:\n first:  %v\n second: %v", as[:n], bs[:n])
	}
}

// DropWhere drops only the connections it picks, here by the route they
// took; the others carry on.
func TestDropWhereByPath(t *testing.T) {
	s := startServer(t, Options{})
	ws := subscribed(t, s, gqlws.SubCreateTrades)
	before := len(s.Sessions())
	gql := dial(t, strings.TrimSuffix(s.URL(), "/ws")+"/graphql?line=2", nil)
	gql.handshake()
	gql.subscribe("1", gqlws.SubCreateTrades)
	waitFor(t, s, "the second subscribed", func(ss []Session) bool { return len(ss) > before && ss[before].Subscribed })

	if got := []string{s.Sessions()[0].Path, s.Sessions()[1].Path}; !slices.Equal(got, []string{"/ws", "/graphql?line=2"}) {
		t.Errorf("recorded paths %q", got)
	}
	if n := s.DropWhere(func(sess Session) bool { return sess.Path == "/graphql?line=2" }); n != 1 {
		t.Fatalf("DropWhere dropped %d connections, want 1", n)
	}
	if got := s.Sessions(); got[0].Closed || !got[1].Closed || got[1].ClientCloseCode != -1 {
		t.Errorf("after dropping /graphql: %s; %s", got[0], got[1])
	}
	if _, err := gql.readErr(testTimeout); err == nil {
		t.Error("the dropped client read on")
	}
	if n := s.Publish(s.NewTrade()); n != 1 {
		t.Fatalf("Publish reached %d, want the one left", n)
	}
	nextTrades(t, ws.read())
}
