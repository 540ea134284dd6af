package natsrec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rollsniper/rollsniper/internal/record"
	"github.com/rollsniper/rollsniper/messages"
)

// Version is the record's schema version, its "v". A consumer refuses a
// record of a later version: a field may have changed meaning.
const Version = 1

// Record kinds, the "msg" of a record as of a stdout line.
const (
	KindTrade = "trade"
	KindMatch = "match"
)

// Encoder writes records. A record is the stdout JSON line of the trade or
// match (record.TradeAttrs, record.MatchAttrs, through slog's JSON handler,
// so the two cannot drift), with "time" the moment the publisher read the
// trade off the socket and these keys added:
//
//	v            the schema version, 1, right after "msg"
//	wear         the wear tier ("" for none), and souvenir (true or false)
//	brand, skin  the weapon or item type and the finish
//	items        how many items the trade holds
//	float        the paint wear, 0 to 1, when the feed sent one
//	pattern      the pattern percentage, when the feed sent one
//	stickers     [{"name": ..., "wear": ...}], when the item has any
//	phase        the Doppler phase, when the name carries one
//	created_at   when CSGORoll created the listing, when known
//
// and, for a match, entry_index (the whitelist entry's position, from 0)
// and decided_at. Times are in UTC. An Encoder is not safe for concurrent
// use: one actor owns it.
type Encoder struct {
	buf bytes.Buffer
	h   slog.Handler
}

// NewEncoder returns an Encoder.
func NewEncoder() *Encoder {
	e := &Encoder{}
	e.h = slog.NewJSONHandler(&e.buf, nil)
	return e
}

// Trade returns t's record, in a new slice the caller keeps.
func (e *Encoder) Trade(t *messages.Trade) []byte {
	base := record.TradeAttrs(t)
	return e.encode(t, KindTrade, base[:], slog.String("wear", string(t.Wear)), slog.Bool("souvenir", t.Souvenir))
}

// Match returns m's record, in a new slice the caller keeps.
func (e *Encoder) Match(m *messages.Match) []byte {
	base := record.MatchAttrs(m)
	return e.encode(&m.Trade, KindMatch, base[:],
		slog.Int("entry_index", m.EntryIndex),
		slog.Time("decided_at", m.DecidedAt.UTC()))
}

// encode writes one record: v, the stdout line's attributes, the trade's
// other fields, then more.
func (e *Encoder) encode(t *messages.Trade, kind string, base []slog.Attr, more ...slog.Attr) []byte {
	r := slog.NewRecord(t.ReceivedAt.UTC(), slog.LevelInfo, kind, 0)
	r.AddAttrs(slog.Int("v", Version))
	r.AddAttrs(base...)
	r.AddAttrs(slog.String("brand", t.Brand), slog.String("skin", t.SkinName), slog.Int("items", t.Items))
	if t.HasAvgPaintWear {
		r.AddAttrs(slog.Float64("float", t.AvgPaintWear))
	}
	if t.HasPatternPercentage {
		r.AddAttrs(slog.Float64("pattern", t.PatternPercentage))
	}
	if n := t.Stickers.Len(); n > 0 {
		stickers := make([]wireSticker, n)
		for i := range n {
			s := t.Stickers.At(i)
			stickers[i].Name = s.Name
			if s.HasWear {
				stickers[i].Wear = &s.Wear
			}
		}
		r.AddAttrs(slog.Any("stickers", stickers))
	}
	if p := t.Phase(); p != messages.PhaseNone {
		r.AddAttrs(slog.String("phase", p.String()))
	}
	if !t.CreatedAt.IsZero() {
		r.AddAttrs(slog.Time("created_at", t.CreatedAt.UTC()))
	}
	r.AddAttrs(more...)
	e.buf.Reset()
	// The JSON handler fails only on a value json.Marshal refuses (a NaN
	// float), which a decoded trade never holds; it then writes what it
	// could, which a consumer refuses.
	_ = e.h.Handle(context.Background(), r)
	return bytes.Clone(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")))
}

// wireSticker is a sticker in a record.
type wireSticker struct {
	Name string   `json:"name"`
	Wear *float64 `json:"wear,omitempty"`
}

// wire is a record as JSON has it; a pointer is a field that may be missing.
type wire struct {
	V          *int          `json:"v"`
	Msg        string        `json:"msg"`
	Time       *time.Time    `json:"time"`
	ID         string        `json:"id"`
	Markup     *float64      `json:"markup"`
	Price      *float64      `json:"price"`
	CanJoin    bool          `json:"can_join"`
	Status     string        `json:"status"`
	Item       string        `json:"item"`
	StatTrak   bool          `json:"stattrak"`
	Wear       string        `json:"wear"`
	Souvenir   bool          `json:"souvenir"`
	Brand      string        `json:"brand"`
	Skin       string        `json:"skin"`
	Items      int           `json:"items"`
	Float      *float64      `json:"float"`
	Pattern    *float64      `json:"pattern"`
	Stickers   []wireSticker `json:"stickers"`
	CreatedAt  *time.Time    `json:"created_at"`
	Entry      string        `json:"entry"`
	EntryIndex *int          `json:"entry_index"`
	DecidedAt  *time.Time    `json:"decided_at"`
}

// Record is a decoded record: a trade, or a match (whose Trade is the trade).
type Record struct {
	Kind  string // KindTrade or KindMatch
	Match messages.Match
}

// Trade is the record's trade.
func (r *Record) Trade() *messages.Trade { return &r.Match.Trade }

// Decode reads a record. It refuses, saying why, anything that is not one
// (not JSON, another "msg", no id, price or markup, a wear that is no tier,
// more stickers than an item takes) and a record of a later schema version.
// Times come back in UTC; a trade's phase is read from its name, as the
// parser does.
func Decode(data []byte) (Record, error) {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return Record{}, fmt.Errorf("not a record: %w", err)
	}
	switch {
	case w.V == nil:
		return Record{}, errors.New("not a record: no schema version \"v\"")
	case *w.V > Version:
		return Record{}, fmt.Errorf("record schema v%d is newer than this sniper's (v%d): update sniper", *w.V, Version)
	case *w.V < 1:
		return Record{}, fmt.Errorf("record schema v%d does not exist", *w.V)
	case w.Msg != KindTrade && w.Msg != KindMatch:
		return Record{}, fmt.Errorf("record \"msg\" is %q, want %q or %q", w.Msg, KindTrade, KindMatch)
	case w.ID == "":
		return Record{}, errors.New("record has no trade id")
	case w.Markup == nil || w.Price == nil:
		return Record{}, fmt.Errorf("record of trade %s has no markup or price", w.ID)
	case len(w.Stickers) > messages.MaxStickers:
		return Record{}, fmt.Errorf("record of trade %s has %d stickers, more than an item takes (%d)", w.ID, len(w.Stickers), messages.MaxStickers)
	}
	wear, ok := messages.ParseWear(w.Wear)
	if !ok && w.Wear != "" {
		return Record{}, fmt.Errorf("record of trade %s has the wear %q, which is no wear tier", w.ID, w.Wear)
	}
	r := Record{Kind: w.Msg}
	t := &r.Match.Trade
	*t = messages.Trade{
		ID: w.ID, Status: w.Status, MarkupPercent: *w.Markup, TotalValue: *w.Price, CanJoin: w.CanJoin,
		MarketName: w.Item, Brand: w.Brand, SkinName: w.Skin, Wear: wear,
		StatTrak: w.StatTrak, Souvenir: w.Souvenir, Items: w.Items,
		CreatedAt: utc(w.CreatedAt), ReceivedAt: utc(w.Time),
	}
	if w.Float != nil {
		t.AvgPaintWear, t.HasAvgPaintWear = *w.Float, true
	}
	if w.Pattern != nil {
		t.PatternPercentage, t.HasPatternPercentage = *w.Pattern, true
	}
	if len(w.Stickers) > 0 {
		stickers := make([]messages.Sticker, len(w.Stickers))
		for i, s := range w.Stickers {
			stickers[i] = messages.Sticker{Name: s.Name}
			if s.Wear != nil {
				stickers[i].Wear, stickers[i].HasWear = *s.Wear, true
			}
		}
		t.Stickers = messages.StickersOf(stickers...)
	}
	if r.Kind == KindMatch {
		r.Match.Entry = w.Entry
		if w.EntryIndex != nil {
			r.Match.EntryIndex = *w.EntryIndex
		}
		r.Match.DecidedAt = utc(w.DecidedAt)
	}
	return r, nil
}

// utc is *t in UTC, or the zero time when t is nil.
func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
