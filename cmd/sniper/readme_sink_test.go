package main

// The README's "Adding a sink" example, compiled and run, so that it cannot
// drift from the code: TestReadmeSinkExample checks that the README shows
// these very lines.

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/messages"
)

// tradeCounter is a sink that counts trades.
type tradeCounter struct{ n atomic.Uint64 }

func (c *tradeCounter) Run(ctx context.Context, in <-chan messages.Trade) error {
	for range in {
		c.n.Add(1)
	}
	return nil
}

func TestReadmeSinkExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("readme_sink_test.go")
	if err != nil {
		t.Fatal(err)
	}
	section, _, _ := strings.Cut(string(readme[strings.Index(string(readme), "### Adding a sink"):]), "\n## ")
	blocks := strings.Split(section, "```go\n")[1:]
	if len(blocks) != 2 {
		t.Fatalf("the README's Adding a sink section has %d Go blocks, want 2", len(blocks))
	}
	for _, b := range blocks {
		code, _, _ := strings.Cut(b, "```")
		if !strings.Contains(string(self), code) {
			t.Errorf("the README shows code that this test does not compile:\n%s", code)
		}
	}

	ctx := testCtx(t)
	tp := startPipeline(t, gqlws.SubCreateTrades, func(p *testPipeline) {
		p.sinks = append(p.sinks, namedSink{"counter", &tradeCounter{}, 0}) // 0: the usual queue of 1,024 trades
	})
	ids := publishIDs(tp.srv, 5)
	tp.seen.wait(ctx, t, len(ids))
	if err := tp.stop(); err != nil {
		t.Fatal(err)
	}
	c := tp.sinks[len(tp.sinks)-1].sink.(*tradeCounter)
	if got := c.n.Load(); got != uint64(len(ids)) {
		t.Errorf("the README's counter counted %d trades, want %d", got, len(ids))
	}
}
