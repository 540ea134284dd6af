package actors

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rollsniper/rollsniper/internal/natsrec"
	"github.com/rollsniper/rollsniper/messages"
)

// natsCtx bounds a NATS test's waits.
func natsCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitCond waits until cond holds, checking it every few milliseconds, or
// fails the test saying what it waited for.
func waitCond(ctx context.Context, t *testing.T, what func() string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("waiting for %s", what())
		}
	}
}

// defaultSubjects are the default prefix's subjects.
func defaultSubjects(t testing.TB) natsrec.Subjects {
	t.Helper()
	s, err := natsrec.NewSubjects(natsrec.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// natsTrades returns n distinct trades, received now.
func natsTrades(prefix string, n int) []messages.Trade {
	out := make([]messages.Trade, n)
	now := time.Now()
	for i := range out {
		out[i] = messages.Trade{ID: fmt.Sprintf("%s-%d", prefix, i), Status: "LISTED", MarkupPercent: float64(i % 40),
			TotalValue: 1 + float64(i), CanJoin: true, MarketName: "AK-47 | Redline (Field-Tested)", Brand: "AK-47",
			SkinName: "Redline", Wear: messages.WearFieldTested, Items: 1, ReceivedAt: now}
	}
	return out
}

// freePort returns a loopback port that nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// runSink runs s on a queue of its own in a goroutine and returns the queue
// and a function that closes it and returns Run's result.
func runSink(ctx context.Context, s Sink, capacity int) (chan<- messages.Trade, func() error) {
	in := make(chan messages.Trade, capacity)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, in) }()
	closed := false
	return in, func() error {
		if !closed {
			close(in)
			closed = true
		}
		return <-done
	}
}

// deleteStream deletes a stream, as an administrator might.
func deleteStream(ctx context.Context, t *testing.T, url, stream string) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(ctx, stream); err != nil {
		t.Fatal(err)
	}
}
