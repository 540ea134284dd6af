package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
)

// demoFaultEvery is how often the demo feed breaks a connection, so that a
// newcomer sees a reconnect and its backoff within a minute.
const demoFaultEvery = 20 * time.Second

// demoOptions is the demo feed: about a trade a second, like the real one, some
// of them batched. Its own logs are left out: the client's say what happens.
func demoOptions() fakeroll.Options {
	return fakeroll.Options{
		TradeInterval: 800 * time.Millisecond,
		BatchMax:      3,
		Seed:          uint64(time.Now().UnixNano()),
	}
}

// demoIntro is the demo's first line, for n connections.
func demoIntro(n int) string {
	if n == 1 {
		return "demo: a built-in fake feed stands in for CSGORoll; it drops the connection now and then to show reconnects"
	}
	return fmt.Sprintf("demo: a built-in fake feed stands in for CSGORoll, on %d connections; it drops one now and then to show a reconnect while the others carry the feed, so no trade is lost", n)
}

// demoPaths are the routes the demo's connections take to its feed, one
// each, as two lines to the real feed may take /ws and /graphql; the fault
// loop drops one line by its route.
var demoPaths = [...]string{"/ws", "/graphql", "/ws?line=3", "/graphql?line=4"}

// demoURLs is -url for n connections to the demo feed at url (which ends in
// /ws): each connection on a route of its own.
func demoURLs(url string, n int) string {
	base := strings.TrimSuffix(url, "/ws")
	urls := make([]string, n)
	for i := range urls {
		urls[i] = base + demoPaths[i%len(demoPaths)]
	}
	return strings.Join(urls, ",")
}

// demoFaults drops one of the n demo connections every interval
// (demoFaultEvery), each in turn, and refuses its next two reconnects, so
// that the backoff schedule (1 s, 2 s, then 4 s) shows in the logs, and, with
// two connections, the other carries the feed meanwhile: no trade is lost. It
// returns nil when ctx ends.
func demoFaults(ctx context.Context, srv *fakeroll.Server, n int, interval time.Duration, logs *slog.Logger) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		line := i % n
		if n == 1 {
			logs.InfoContext(ctx, "demo: dropping the connection and refusing two reconnects")
		} else {
			logs.InfoContext(ctx, fmt.Sprintf("demo: dropping connection %d and refusing its next two reconnects; the other connection carries the feed meanwhile", line+1))
		}
		srv.RefuseNext(2, http.StatusServiceUnavailable, nil)
		srv.DropWhere(func(s fakeroll.Session) bool { return s.Path == demoPaths[line%len(demoPaths)] })
	}
}
