package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
)

// demoFaultEvery is how often the demo feed breaks the connection, so that a
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

// demoFaults drops the demo connection every demoFaultEvery and refuses the next
// two upgrades, so the backoff schedule (1 s, 2 s, then 4 s) shows in the logs.
// It returns nil when ctx ends.
func demoFaults(ctx context.Context, srv *fakeroll.Server, logs *slog.Logger) error {
	t := time.NewTicker(demoFaultEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			logs.InfoContext(ctx, "demo: dropping the connection and refusing two reconnects")
			srv.RefuseNext(2, http.StatusServiceUnavailable, nil)
			srv.DropAll()
		}
	}
}
