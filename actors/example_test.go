package actors_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/record"
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

	hub := actors.NewHub(trades, slog.New(slog.DiscardHandler))
	// Plain text, as on a terminal under NO_COLOR; record.JSON writes JSON lines.
	printer := actors.NewPrinter(os.Stdout, record.Text, nil) // nil: stdout is not buffered, nothing to flush
	printer.SetClock(func() time.Time { return time.Date(2026, 11, 28, 18, 40, 2, 0, time.UTC) })
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
	// 18:40:02 trade    27.45 11.98% StatTrak™ AK-47 | Redline (Field-Tested)
	// [{Name:printer Capacity:64 Queued:0 Delivered:1 Dropped:0}]
}
