package fakeroll

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// legacyOnly returns t as a client reads it from the createTrade shape: the
// fields only the current feed has are zero.
func legacyOnly(t Trade) Trade {
	t.CanJoin = false
	t.AvgPaintWearRange = nil
	items := make([]TradeItem, len(t.TradeItems))
	for i, it := range t.TradeItems {
		it.PatternPercentage = nil
		if it.ItemVariant != nil {
			v := *it.ItemVariant
			v.Currency = ""
			it.ItemVariant = &v
		}
		if it.Stickers != nil {
			stickers := make([]Sticker, len(it.Stickers))
			for j, s := range it.Stickers {
				s.ID = ""
				stickers[j] = s
			}
			it.Stickers = stickers
		}
		items[i] = it
	}
	if t.TradeItems != nil {
		t.TradeItems = items
	}
	return t
}

// fullTrade has every field set, strings that need escaping included.
func fullTrade() Trade {
	at := time.Date(2024, 1, 30, 20, 38, 20, 896_000_000, time.UTC)
	user := &User{ID: "VXNlcjox", SteamID: "7656119", Avatar: "https://a/b.png", DisplayName: `Bob "the" \ builder`, SteamDisplayName: "bob\n\t\x01"}
	return Trade{
		ID: "VHJhZGU6MQ", Status: "JOINED", SteamAppName: "CSGO", CancelReason: new("none"),
		CanJoinAfter: new(at.Add(40 * time.Second)), MarkupPercent: 11.98, CreatedAt: at,
		Depositor: user, DepositorLastActiveAt: at.Add(-time.Minute), ExpiresAt: at.Add(48 * time.Hour),
		WithdrawerSteamTradeURL: new("https://steamcommunity.com/tradeoffer/new/?partner=1&token=x"),
		CustomValue:             true, Withdrawer: user, TotalValue: 1e-7 + 24.49, UpdatedAt: at.Add(time.Millisecond),
		TradeItems: []TradeItem{{
			ID: "VHJhZGVJdGVtOjE", MarketName: "★ StatTrak™ Karambit | Fade (Factory New)", Value: 24.49, CustomValue: true,
			ItemVariant: &ItemVariant{ID: "SXRlbVZhcmlhbnQ6MQ", ItemID: "SXRlbTox", Name: "Fade", Brand: "★ Karambit",
				IconURL: "https://x/y", Value: 21.87, DisplayValue: 21.87, ExternalID: "ext", Color: "Factory New",
				Rarity: "covert", Depositable: true, Currency: "COINS"},
			MarkupPercent: 11.98,
			Stickers: []Sticker{{ID: "VHJhZGVJdGVtU3RpY2tlcjox", Value: new(0.38), ImageURL: "https://s", Brand: "Sticker",
				Name: "Spirit | 2020 RMR", Color: "Holo", Wear: new(0.08)}},
			SteamExternalAssetID: "U3RlYW1FeHRlcm5hbEFzc2V0OjE", PatternPercentage: new(94.0),
		}},
		TrackingType: "API_KEY_DEPOSITOR", SuspectedTraderCanJoinAfter: new(at.Add(time.Second)), JoinedAt: new(at.Add(time.Hour)),
		AvgPaintWear: new(0.035), HasStickers: true, CanJoin: true, AvgPaintWearRange: &WearRange{Min: 0, Max: 0.07},
	}
}

// TestEncodeRoundTrip shows the hand encoder and Trade's json tags agree: what
// the server sends decodes back into the trade it was given.
func TestEncodeRoundTrip(t *testing.T) {
	full := fullTrade()
	bare := Trade{CreatedAt: full.CreatedAt, DepositorLastActiveAt: full.CreatedAt, ExpiresAt: full.CreatedAt, UpdatedAt: full.CreatedAt,
		TradeItems: []TradeItem{{ItemVariant: nil, Stickers: nil}}}
	tests := []struct {
		name    string
		trade   Trade
		current bool
		want    Trade
	}{
		{"full current", full, true, full},
		{"full legacy", full, false, legacyOnly(full)},
		{"nulls current", bare, true, bare},
		{"null items legacy", Trade{CreatedAt: full.CreatedAt, DepositorLastActiveAt: full.CreatedAt, ExpiresAt: full.CreatedAt, UpdatedAt: full.CreatedAt}, false,
			Trade{CreatedAt: full.CreatedAt, DepositorLastActiveAt: full.CreatedAt, ExpiresAt: full.CreatedAt, UpdatedAt: full.CreatedAt}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := appendTrade(nil, &tt.trade, tt.current)
			if !json.Valid(data) {
				t.Fatalf("invalid JSON: %s", data)
			}
			var got Trade
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded\n%+v\nwant\n%+v\nfrom %s", got, tt.want, data)
			}
		})
	}
}

func TestMarshalJSONIsTheCurrentShape(t *testing.T) {
	full := fullTrade()
	got, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	// json.Marshal escapes <, > and & in what MarshalJSON returns; the
	// values are the same.
	want := appendTrade(nil, &full, true)
	var gotV, wantV any
	if err := json.Unmarshal(got, &gotV); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantV); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("json.Marshal = %s\nwant %s", got, want)
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted"`, `back\slash`, "tab\tnew\nline\rret", "\x00\x1f", "★ StatTrak™ Ω", "<&>"} {
		data := appendString(nil, s)
		var got string
		if err := json.Unmarshal(data, &got); err != nil || got != s {
			t.Errorf("appendString(%q) = %s, decodes to %q (%v)", s, data, got, err)
		}
	}
}

func TestAppendTimeHasMilliseconds(t *testing.T) {
	at := time.Date(2024, 1, 2, 21, 37, 45, 0, time.FixedZone("CET", 3600))
	if got, want := string(appendTime(nil, at)), `"2024-01-02T20:37:45.000Z"`; got != want {
		t.Errorf("appendTime = %s, want %s", got, want)
	}
}

func BenchmarkAppendTrade(b *testing.B) {
	g := NewGenerator(1)
	trades := make([]Trade, 1024)
	for i := range trades {
		trades[i] = g.Next(time.Now())
	}
	var buf []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = appendTrade(buf[:0], &trades[i%len(trades)], true)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkPublish sends trades one next each (the createTrade shape, the
// costlier one to send) to one client that reads them as fast as it can.
func BenchmarkPublish(b *testing.B) {
	s := startServer(b, Options{})
	c := subscribed(b, s, gqlws.SubCreateTrade)
	g := NewGenerator(1)
	trades := make([]Trade, 1000)
	for i := range trades {
		trades[i] = g.Next(time.Now())
	}
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			if _, _, err := c.ws.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		if s.Publish(trades...) != 1 {
			b.Fatal("Publish reached no one")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(trades)), "ns/trade")
	_ = c.ws.CloseNow()
	<-readDone
}
