package natsrec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
// match, written by the same code (internal/record's AppendJSONHead,
// AppendTradeFields, AppendMatchFields), so the two cannot drift, with
// "time" the moment the publisher read the trade off the socket, "v" (the
// schema version, 1) right after "msg", and these keys after the line's:
//
//	brand, skin  the weapon or item type and the finish
//	items        how many items the trade holds
//	phase        the Doppler phase, when the name carries one
//
// and, for a match, entry_index (the whitelist entry's position, from 0)
// and decided_at. The line's own keys include wear, souvenir, and float,
// pattern, stickers and created_at when the trade has them. Times are in
// UTC. An Encoder is not safe for concurrent use: one actor owns it.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an Encoder.
func NewEncoder() *Encoder {
	return &Encoder{buf: make([]byte, 0, 1024)}
}

// Trade returns t's record, in a new slice the caller keeps.
func (e *Encoder) Trade(t *messages.Trade) []byte {
	b := e.head(t, KindTrade)
	b = record.AppendTradeFields(b, t)
	return e.finish(b, t)
}

// Match returns m's record, in a new slice the caller keeps.
func (e *Encoder) Match(m *messages.Match) []byte {
	b := e.head(&m.Trade, KindMatch)
	b = record.AppendMatchFields(b, m)
	b = e.more(b, &m.Trade)
	b = record.AppendJSONInt(b, "entry_index", int64(m.EntryIndex))
	b = record.AppendJSONTime(b, "decided_at", m.DecidedAt.UTC())
	e.buf = append(b, '}')
	return bytes.Clone(e.buf)
}

// head begins a record: time, level, msg, v.
func (e *Encoder) head(t *messages.Trade, kind string) []byte {
	b := record.AppendJSONHead(e.buf[:0], t.ReceivedAt.UTC(), kind)
	return record.AppendJSONInt(b, "v", Version)
}

// more appends the keys a record has beyond the stdout line's.
func (e *Encoder) more(b []byte, t *messages.Trade) []byte {
	b = record.AppendJSONString(b, "brand", t.Brand)
	b = record.AppendJSONString(b, "skin", t.SkinName)
	b = record.AppendJSONInt(b, "items", int64(t.Items))
	if p := t.Phase(); p != messages.PhaseNone {
		b = record.AppendJSONString(b, "phase", p.String())
	}
	return b
}

// finish ends a trade's record and returns a copy of it.
func (e *Encoder) finish(b []byte, t *messages.Trade) []byte {
	e.buf = append(e.more(b, t), '}')
	return bytes.Clone(e.buf)
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
