package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/messages"
)

// printerTrades are a real listing from the capture and a StatTrak one whose
// markup has no exact float64.
var printerTrades = []messages.Trade{
	{
		ID:            "VHJhZGU6MzQ5MjEwMjA",
		Status:        "LISTED",
		MarkupPercent: 12,
		TotalValue:    617.12,
		MarketName:    "★ Bowie Knife | Gamma Doppler Phase 1 (Factory New)",
		Brand:         "★ Bowie Knife",
		SkinName:      "Gamma Doppler Phase 1",
		Wear:          messages.WearFactoryNew,
		Items:         1,
	},
	{
		ID:            "VHJhZGU6MzI5OTM0NzI",
		Status:        "LISTED",
		MarkupPercent: 11.98,
		TotalValue:    27.45,
		CanJoin:       true,
		MarketName:    "StatTrak™ AK-47 | Redline (Field-Tested)",
		Brand:         "AK-47",
		SkinName:      "Redline",
		Wear:          messages.WearFieldTested,
		StatTrak:      true,
		Items:         1,
	},
}

// printerPrint runs a printer writing to h over trades, checks that it returns
// nil once in closes and counted every trade, and returns what it wrote.
func printerPrint(t *testing.T, h func(*bytes.Buffer) slog.Handler, trades []messages.Trade) string {
	t.Helper()
	var out bytes.Buffer
	p := NewPrinter(slog.New(h(&out)), nil)
	in := make(chan messages.Trade, len(trades))
	for _, tr := range trades {
		in <- tr
	}
	close(in)
	if err := p.Run(t.Context(), in); err != nil {
		t.Fatalf("Run() = %v, want nil once in is closed", err)
	}
	if got := p.Printed(); got != uint64(len(trades)) {
		t.Errorf("Printed() = %d, want %d", got, len(trades))
	}
	return out.String()
}

// printerKeys returns the keys of the JSON object line, in order.
func printerKeys(t *testing.T, line string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	var keys []string
	if _, err := dec.Token(); err != nil { // {
		t.Fatalf("%s: %v", line, err)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		keys = append(keys, key.(string))
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	return keys
}

func TestPrinterJSON(t *testing.T) {
	out := printerPrint(t, func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }, printerTrades)

	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(printerTrades) {
		t.Fatalf("printed %d lines, want %d:\n%s", len(lines), len(printerTrades), out)
	}
	wantKeys := []string{"time", "level", "msg", "id", "markup", "price", "can_join", "status", "item", "stattrak"}
	// Numbers are compared as the text printed: 11.98, not 11.980000000000002.
	want := []map[string]any{
		{"level": "INFO", "msg": "trade", "id": "VHJhZGU6MzQ5MjEwMjA", "markup": json.Number("12"), "price": json.Number("617.12"),
			"can_join": false, "status": "LISTED", "item": "★ Bowie Knife | Gamma Doppler Phase 1 (Factory New)", "stattrak": false},
		{"level": "INFO", "msg": "trade", "id": "VHJhZGU6MzI5OTM0NzI", "markup": json.Number("11.98"), "price": json.Number("27.45"),
			"can_join": true, "status": "LISTED", "item": "StatTrak™ AK-47 | Redline (Field-Tested)", "stattrak": true},
	}
	for i, line := range lines {
		if got := printerKeys(t, line); !slices.Equal(got, wantKeys) {
			t.Errorf("line %d keys = %q, want %q", i, got, wantKeys)
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var got map[string]any
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		delete(got, "time")
		if !maps.Equal(got, want[i]) {
			t.Errorf("line %d = %v, want %v", i, got, want[i])
		}
	}
}

func TestPrinterText(t *testing.T) {
	out := printerPrint(t, func(b *bytes.Buffer) slog.Handler { return tint.NewTextHandler(b, &tint.Options{NoColor: true}) }, printerTrades[1:])

	want := []string{
		" INF trade ",
		"id=VHJhZGU6MzI5OTM0NzI",
		"markup=11.98",
		"price=27.45",
		"can_join=true",
		"status=LISTED",
		`item="StatTrak™ AK-47 | Redline (Field-Tested)"`,
		"stattrak=true",
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 1 {
		t.Errorf("printed %d lines, want 1:\n%s", n, out)
	}
}

func TestPrinterRunReturnsCtxErrWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p := NewPrinter(slog.New(slog.DiscardHandler), nil)
	if err := p.Run(ctx, make(chan messages.Trade)); !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want context.Canceled", err)
	}
	if got := p.Printed(); got != 0 {
		t.Errorf("Printed() = %d, want 0", got)
	}
}
