package record

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/messages"
)

// noTime drops the record's time so that the lines compare byte for byte.
func noTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

func TestRecordsAsJSON(t *testing.T) {
	recv := time.Date(2026, 11, 28, 19, 26, 2, 130_000_000, time.UTC)
	tr := messages.Trade{
		ID: "VHJhZGU6MzQwMTczNTQ", MarkupPercent: 1.57, TotalValue: 374.31, CanJoin: true, Status: "LISTED",
		MarketName: "★ Hand Wraps | Slaughter (Minimal Wear)", Brand: "★ Hand Wraps", SkinName: "Slaughter",
		Wear: messages.WearMinimalWear, Items: 1, ReceivedAt: recv,
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime}))
	Trade(t.Context(), log, tr)
	Match(t.Context(), log, &messages.Match{Trade: tr, Entry: "#8 ★ Hand Wraps | Slaughter", EntryIndex: 8, DecidedAt: recv.Add(61800 * time.Nanosecond)})

	want := `{"level":"INFO","msg":"trade","id":"VHJhZGU6MzQwMTczNTQ","markup":1.57,"price":374.31,"can_join":true,"status":"LISTED","item":"★ Hand Wraps | Slaughter (Minimal Wear)","stattrak":false}
{"level":"INFO","msg":"match","id":"VHJhZGU6MzQwMTczNTQ","markup":1.57,"price":374.31,"can_join":true,"status":"LISTED","item":"★ Hand Wraps | Slaughter (Minimal Wear)","stattrak":false,"wear":"Minimal Wear","souvenir":false,"entry":"#8 ★ Hand Wraps | Slaughter","latency_us":61.8}
`
	if got := buf.String(); got != want {
		t.Errorf("records:\n%s\nwant\n%s", got, want)
	}
}
