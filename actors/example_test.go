package actors_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/messages"
)

// A sink gets its own queue from the hub and reads it until the hub closes it.
// Here the trades are fixed, so the hub can run to the end before the printer
// starts; in the program every actor runs at once, under one errgroup.
func ExampleHub_Attach() {
	trades := make(chan messages.Trade, 1)
	trades <- messages.Trade{
		ID:            "VHJhZGU6MzI5OTM0NzI",
		Status:        "LISTED",
		MarkupPercent: 11.98,
		TotalValue:    27.45,
		CanJoin:       true,
		MarketName:    "StatTrak™ AK-47 | Redline (Field-Tested)",
		StatTrak:      true,
	}
	close(trades)

	// The printer writes JSON lines; the time is left out to keep this output stable.
	stdout := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	hub := actors.NewHub(trades, slog.New(slog.DiscardHandler))
	printer := actors.NewPrinter(stdout, nil) // nil: stdout is not buffered, nothing to flush
	queue := hub.Attach("printer", 64)

	ctx := context.Background()
	if err := hub.Run(ctx); err != nil { // returns nil when trades closes, closing queue
		fmt.Println(err)
	}
	if err := printer.Run(ctx, queue); err != nil { // returns nil once queue is drained
		fmt.Println(err)
	}
	fmt.Printf("%+v\n", hub.Stats())
	// Output:
	// {"level":"INFO","msg":"trade","id":"VHJhZGU6MzI5OTM0NzI","markup":11.98,"price":27.45,"can_join":true,"status":"LISTED","item":"StatTrak™ AK-47 | Redline (Field-Tested)","stattrak":true}
	// [{Name:printer Capacity:64 Queued:0 Delivered:1 Dropped:0}]
}
