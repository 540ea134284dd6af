package feedjson

// This file is the parser's decoding step: ParseFrame and everything it needs to
// turn one frame's bytes into trades. It reads the frame once with the scanner in
// scan.go, which checks the whole frame as JSON while it goes, keeps the raw text
// of the fields a Trade needs (as json.RawMessage would hold them, the last one
// where a key repeats) and decodes each trade as soon as it has been read. Only
// then does it decide, in the order the first decoder did, what the frame is: a
// missing field, a null one and one of the wrong type each get a message naming
// the field. That first decoder, built on encoding/json, is kept in
// decode_ref_test.go as the reference the fuzz tests hold this one to.

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/messages"
)

// ErrorKind says why ParseFrame skipped a frame or a trade, or what else it has
// to report about a frame.
type ErrorKind string

const (
	// MalformedJSON: the frame is not a JSON object (bad syntax, truncated,
	// invalid UTF-8, or some other JSON value). The whole frame is skipped.
	MalformedJSON ErrorKind = "malformed_json"
	// UnknownType: the frame is a message other than next, or has no type.
	// The whole frame is skipped.
	UnknownType ErrorKind = "unknown_type"
	// NoTrades: a next message that holds no listing: no payload or data,
	// another subscription's data, or trades that are not a non-empty list.
	NoTrades ErrorKind = "no_trades"
	// InvalidTrade: one trade lacks a required field or has one of the wrong
	// type. That trade is skipped; the frame's other trades are still returned.
	InvalidTrade ErrorKind = "invalid_trade"
	// ServerErrors: the next payload carried GraphQL errors. Nothing is
	// skipped because of them: whatever data came with them is still decoded.
	ServerErrors ErrorKind = "server_errors"
)

// ErrorKinds lists every ErrorKind, in the order of the parser's counters.
var ErrorKinds = [...]ErrorKind{MalformedJSON, UnknownType, NoTrades, InvalidTrade, ServerErrors}

// ParseError is one problem ParseFrame found in a frame.
type ParseError struct {
	Kind ErrorKind
	// Msg says what was wrong, naming the field by its path in the payload's data
	// where there is one, e.g. "trades[1].tradeItems[0].itemVariant is null".
	Msg string
	// TradeID is the id of the trade that was skipped, when it could be read.
	TradeID string
}

func (e *ParseError) Error() string { return string(e.Kind) + ": " + e.Msg }

// ParseFrame is the pure decoding step: it appends the trades in data to dst and
// returns them, each stamped with receivedAt.
//
// The error is nil when every trade was decoded. Otherwise it is a *ParseError, or
// when there are several problems an errors.Join of *ParseErrors in the order they
// occur in the frame. A frame that is not a trade message or is malformed returns
// dst unchanged; a batch in which some trades are invalid returns the valid ones
// and an error for each invalid one.
//
// The frame is read the way encoding/json would unmarshal it: keys match field
// names case-insensitively, the last of repeated keys wins, and anything that
// encoding/json rejects (including invalid UTF-8 anywhere) is malformed. Each
// trade returned costs one allocation, for all its strings.
func ParseFrame(dst []messages.Trade, data []byte, receivedAt time.Time) ([]messages.Trade, error) {
	f := frameScan{s: scanner{data: data}, receivedAt: receivedAt, dst: dst, base: len(dst)}
	f.s.skipSpace()
	f.top = f.value('{', f.scanEnvelope)
	f.s.end()
	return f.result()
}

// frameScan is what ParseFrame has read of a frame: the raw text of each field it
// uses at every level (nil when missing), and the trades decoded so far. A key
// read again replaces what was read under it before, as in encoding/json.
type frameScan struct {
	s          scanner
	receivedAt time.Time

	top, typ, payload         []byte // the frame, and its type and payload
	data, errors              []byte // the payload's
	createTrades, createTrade []byte // data's
	trades                    []byte // createTrades.trades
	trade                     []byte // createTrade.trade

	// The trades of createTrades.trades are dst[base:], and batchErrs their
	// problems; nTrades counts its elements.
	dst       []messages.Trade
	base      int
	batchErrs []error
	nTrades   int
	// single and singleErr are createTrade.trade decoded, if it is an object.
	single    messages.Trade
	singleErr error

	t tradeRaw // the trade being read
}

// tradeRaw is the raw text of the fields of the trade being read, and of its
// first item's.
type tradeRaw struct {
	id, status, markupPercent, totalValue []byte
	canJoin, canJoinAfter, createdAt      []byte
	avgPaintWear                          []byte
	tradeItems                            []byte
	items                                 int    // tradeItems' elements
	item0                                 []byte // tradeItems[0]
	item                                  itemRaw
}

type itemRaw struct {
	marketName, itemVariant []byte
	brand, name, color      []byte // the itemVariant's
	patternPercentage       []byte
	// The stickers whose name is a string, at most MaxStickers: their
	// names' and wears' raw text.
	stickers                       int
	stickerName, stickerWear       [messages.MaxStickers][]byte
	curStickerName, curStickerWear []byte // the sticker being read
}

// value reads the value at the scanner and returns its text. When it opens with
// bracket ('{' or '['), members reads its members (with key or elem).
func (f *frameScan) value(bracket byte, members func()) []byte {
	start := f.s.pos
	if f.s.enter(bracket) {
		members()
	} else {
		f.s.skip()
	}
	return f.s.data[start:f.s.pos]
}

func (f *frameScan) scanEnvelope() {
	for k, ok := f.s.key(); ok; k, ok = f.s.key() {
		switch string(k) {
		case "type":
			f.typ = f.s.raw()
		case "payload":
			f.data, f.errors = nil, nil
			f.resetData()
			f.payload = f.value('{', f.scanPayload)
		default:
			f.s.skip()
		}
	}
}

func (f *frameScan) scanPayload() {
	for k, ok := f.s.key(); ok; k, ok = f.s.key() {
		switch string(k) {
		case "data":
			f.resetData()
			f.data = f.value('{', f.scanData)
		case "errors":
			f.errors = f.s.raw() // read in full only if it is the last
		default:
			f.s.skip()
		}
	}
}

func (f *frameScan) scanData() {
	for k, ok := f.s.key(); ok; k, ok = f.s.key() {
		switch string(k) {
		case "createtrades":
			f.trades = nil
			f.resetBatch()
			f.createTrades = f.value('{', f.scanBatch)
		case "createtrade":
			f.trade = nil
			f.resetSingle()
			f.createTrade = f.value('{', f.scanSingle)
		default:
			f.s.skip()
		}
	}
}

func (f *frameScan) scanBatch() {
	for k, ok := f.s.key(); ok; k, ok = f.s.key() {
		if string(k) != "trades" {
			f.s.skip()
			continue
		}
		f.resetBatch()
		f.trades = f.value('[', f.scanTrades)
	}
}

func (f *frameScan) scanTrades() {
	for ; f.s.elem(); f.nTrades++ {
		f.t = tradeRaw{}
		raw := f.value('{', f.scanTrade)
		if f.s.bad {
			return
		}
		t, err := f.decodeTrade(raw, parsePath{index: f.nTrades})
		if err != nil {
			f.batchErrs = append(f.batchErrs, err)
		} else {
			f.dst = append(f.dst, t)
		}
	}
}

func (f *frameScan) scanSingle() {
	for k, ok := f.s.key(); ok; k, ok = f.s.key() {
		if string(k) != "trade" {
			f.s.skip()
			continue
		}
		f.resetSingle()
		f.t = tradeRaw{}
		f.trade = f.value('{', f.scanTrade)
		if !f.s.bad && parseIsObject(f.trade) {
			f.single, f.singleErr = f.decodeTrade(f.trade, parsePath{index: -1})
		}
	}
}

func (f *frameScan) scanTrade() {
	t := &f.t
	for k, ok := f.s.key(); ok; k, ok = f.s.key() {
		switch string(k) {
		case "id":
			t.id = f.s.raw()
		case "status":
			t.status = f.s.raw()
		case "markuppercent":
			t.markupPercent = f.s.raw()
		case "totalvalue":
			t.totalValue = f.s.raw()
		case "canjoin":
			t.canJoin = f.s.raw()
		case "canjoinafter":
			t.canJoinAfter = f.s.raw()
		case "createdat":
			t.createdAt = f.s.raw()
		case "avgpaintwear":
			t.avgPaintWear = f.s.raw()
		case "tradeitems":
			t.items, t.item0, t.item = 0, nil, itemRaw{}
			t.tradeItems = f.value('[', f.scanItems)
		default:
			f.s.skip()
		}
	}
}

// scanItems reads a trade's items: the first in full, the others only counted.
func (f *frameScan) scanItems() {
	for ; f.s.elem(); f.t.items++ {
		if f.t.items == 0 {
			f.t.item0 = f.value('{', f.scanItem)
		} else {
			f.s.skip()
		}
	}
}

func (f *frameScan) scanItem() {
	it := &f.t.item
	for k, ok := f.s.key(); ok; k, ok = f.s.key() {
		switch string(k) {
		case "marketname":
			it.marketName = f.s.raw()
		case "itemvariant":
			it.brand, it.name, it.color = nil, nil, nil
			it.itemVariant = f.value('{', f.scanVariant)
		case "patternpercentage":
			it.patternPercentage = f.s.raw()
		case "stickers":
			it.stickers = 0
			f.value('[', f.scanStickers)
		default:
			f.s.skip()
		}
	}
}

// scanStickers reads an item's stickers: it keeps the name and wear of the
// first MaxStickers whose name is a non-empty string, and skips the rest
// (readTrade then passes over names longer than MaxStickerName).
func (f *frameScan) scanStickers() {
	it := &f.t.item
	for f.s.elem() {
		it.curStickerName, it.curStickerWear = nil, nil
		f.value('{', f.scanSticker)
		if name := it.curStickerName; len(name) > 2 && name[0] == '"' && it.stickers < messages.MaxStickers {
			it.stickerName[it.stickers], it.stickerWear[it.stickers] = name, it.curStickerWear
			it.stickers++
		}
	}
}

func (f *frameScan) scanSticker() {
	it := &f.t.item
	for k, ok := f.s.key(); ok; k, ok = f.s.key() {
		switch string(k) {
		case "name":
			it.curStickerName = f.s.raw()
		case "wear":
			it.curStickerWear = f.s.raw()
		default:
			f.s.skip()
		}
	}
}

func (f *frameScan) scanVariant() {
	it := &f.t.item
	for k, ok := f.s.key(); ok; k, ok = f.s.key() {
		switch string(k) {
		case "brand":
			it.brand = f.s.raw()
		case "name":
			it.name = f.s.raw()
		case "color":
			it.color = f.s.raw()
		default:
			f.s.skip()
		}
	}
}

// resetData forgets what was read under data, for a new data.
func (f *frameScan) resetData() {
	f.createTrades, f.createTrade, f.trades, f.trade = nil, nil, nil, nil
	f.resetBatch()
	f.resetSingle()
}

// resetBatch forgets the trades read under createTrades.trades.
func (f *frameScan) resetBatch() {
	clear(f.dst[f.base:]) // let their strings go
	f.dst = f.dst[:f.base]
	f.batchErrs = f.batchErrs[:0]
	f.nTrades = 0
}

func (f *frameScan) resetSingle() {
	f.single, f.singleErr = messages.Trade{}, nil
}

// result decides what the frame that has been read holds, in the order the
// reference decoder does.
func (f *frameScan) result() ([]messages.Trade, error) {
	if f.s.bad || !parseIsObject(f.top) {
		f.resetBatch()
		return f.dst, f.malformed()
	}
	if len(f.typ) < 2 || f.typ[0] != '"' {
		f.resetBatch()
		return f.dst, parseFail(UnknownType, "%v", parseWant(f.typ, "type", "a string"))
	}
	if typ := f.typ[1 : len(f.typ)-1]; !textIs(typ, gqlws.TypeNext) {
		f.resetBatch()
		return f.dst, parseFail(UnknownType, "message type %.40q is not %q", unquotedPrefix(typ, 40), gqlws.TypeNext)
	}
	if !parseIsObject(f.payload) {
		f.resetBatch()
		return f.dst, parseFail(NoTrades, "%v", parseWant(f.payload, "payload", "an object"))
	}
	var errs []error
	if e := parseServerErrors(f.errors); e != nil {
		errs = append(errs, e)
	}
	errs = f.dataResult(errs)
	return f.dst, parseJoin(errs)
}

// malformed returns the problem with a frame that is not a JSON object.
func (f *frameScan) malformed() error {
	data := f.s.data
	if !utf8.Valid(data) {
		return parseFail(MalformedJSON, "invalid UTF-8 at byte %d", parseInvalidUTF8At(data))
	}
	if f.s.bad {
		return parseFail(MalformedJSON, "%s", f.s.syntaxError())
	}
	return parseFail(MalformedJSON, "message is %s, want an object", parseKindOf(data))
}

// dataResult keeps or drops the trades read under the payload's data, and
// returns errs with their problems. Data that is null next to server errors is
// not a problem of its own: the server errors say why it is null.
func (f *frameScan) dataResult(errs []error) []error {
	if parseIsNull(f.data) && len(errs) > 0 {
		f.resetBatch()
		return errs
	}
	if !parseIsObject(f.data) {
		f.resetBatch()
		return append(errs, parseFail(NoTrades, "%v", parseWant(f.data, "data", "an object")))
	}
	found := false
	if !parseIsNull(f.createTrades) {
		found = true
		var err error
		switch {
		case !parseIsObject(f.createTrades):
			err = parseWant(f.createTrades, "createTrades", "an object")
		case len(f.trades) == 0 || f.trades[0] != '[':
			err = parseWant(f.trades, "createTrades.trades", "an array")
		case f.nTrades == 0:
			err = errors.New("createTrades.trades is empty")
		}
		if err != nil {
			f.resetBatch()
			return append(errs, parseFail(NoTrades, "%v", err))
		}
		errs = append(errs, f.batchErrs...)
	}
	if !parseIsNull(f.createTrade) {
		found = true
		if !parseIsObject(f.createTrade) {
			return append(errs, parseFail(NoTrades, "%v", parseWant(f.createTrade, "createTrade", "an object")))
		}
		t, err := f.single, f.singleErr
		if !parseIsObject(f.trade) {
			t, err = f.decodeTrade(f.trade, parsePath{index: -1})
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			f.dst = append(f.dst, t)
		}
	}
	if !found {
		errs = append(errs, parseFail(NoTrades, "data has neither createTrades nor createTrade"))
	}
	return errs
}

// textSpan is where one of a trade's strings lies in the trade's text.
type textSpan struct{ from, to int }

func (s textSpan) in(text string) string { return text[s.from:s.to] }

// tradeSpans are a trade's strings while it is decoded.
type tradeSpans struct {
	id, status, createdAt, canJoinAfter, marketName, brand, name textSpan
	// The stickers' names lie one after the other from stickersFrom, name i
	// ending stickerEnds[i] bytes after it.
	stickersFrom int
	stickers     int
	stickerEnds  [messages.MaxStickers]int
	stickerWears [messages.MaxStickers]float64
	// hasCreatedAt and hasCanJoinAfter say that the time was reached and is a
	// string, still to be parsed.
	hasCreatedAt, hasCanJoinAfter bool
}

// decodeTrade decodes the trade whose raw text is raw: if it is an object, the
// one just read into f.t. Its error is an invalid_trade *ParseError naming the
// first field that is wrong, in the order the reference checks them.
//
// All the trade's strings are decoded into one buffer and made into one string,
// which the Trade's strings are parts of: one allocation per trade. The times are
// parsed last, from that string; a time that does not parse is a problem before
// any that readTrade found, which stops at the first and checks the times' place
// in the order only for being strings.
func (f *frameScan) decodeTrade(raw []byte, at parsePath) (messages.Trade, error) {
	t := messages.Trade{ReceivedAt: f.receivedAt}
	if !parseIsObject(raw) {
		return t, parseFail(InvalidTrade, "%v", parseWant(raw, at.String(), "an object"))
	}
	var room [256]byte
	var sp tradeSpans
	buf, id, err := appendText(room[:0], f.t.id, at, "id")
	if err == nil && id.from == id.to {
		err = fmt.Errorf("%s is empty", at.field("id"))
	}
	if err != nil {
		return t, parseFail(InvalidTrade, "%v", err)
	}
	sp.id = id
	buf, err = f.readTrade(buf, &t, &sp, at)
	text := string(buf)
	if terr := f.parseTimes(&t, &sp, text, at); terr != nil {
		err = terr
	}
	t.ID = sp.id.in(text)
	if err != nil {
		return messages.Trade{ReceivedAt: f.receivedAt}, &ParseError{Kind: InvalidTrade, Msg: err.Error(), TradeID: t.ID}
	}
	t.Status = sp.status.in(text)
	t.MarketName = sp.marketName.in(text)
	t.Brand = sp.brand.in(text)
	t.SkinName = sp.name.in(text)
	t.Stickers = messages.MakeStickers(text[sp.stickersFrom:], sp.stickerEnds[:sp.stickers], sp.stickerWears[:sp.stickers])
	parseDerived(&t, parseColorWear(f.t.item.color))
	if err := checkTextSize(&t, at); err != nil {
		return messages.Trade{ReceivedAt: f.receivedAt}, err
	}
	return t, nil
}

// MaxTradeText bounds the text a decoded trade holds (TradeText): five times
// the most any real listing holds. It is what bounds a sink's queue in bytes,
// whatever a feed sends and whatever -read-limit allows: a queue of n trades
// holds at most n × (MaxTradeText + the size of a Trade).
const MaxTradeText = 1 << 10

// MaxStickerName bounds a sticker's name (the longest real one is about 60
// bytes): a sticker whose name is longer is passed over, not the listing, so
// a trade's stickers add at most MaxStickers × MaxStickerName bytes of text
// to MaxTradeText.
const MaxStickerName = 128

// TradeText is how many bytes of text t holds: the length of its strings
// together, the stickers' names aside (StickerText, bounded on their own by
// MaxStickerName). A field of text added to messages.Trade belongs here too.
func TradeText(t *messages.Trade) int {
	return len(t.ID) + len(t.Status) + len(t.MarketName) + len(t.Brand) + len(t.SkinName)
}

// StickerText is how many bytes of text a trade's stickers hold: at most
// MaxStickers × MaxStickerName.
func StickerText(t *messages.Trade) int {
	n := 0
	for i := range t.Stickers.Len() {
		n += len(t.Stickers.At(i).Name)
	}
	return n
}

// checkTextSize is an invalid_trade error for a trade holding more than
// MaxTradeText bytes of text, naming its longest field, or nil.
func checkTextSize(t *messages.Trade, at parsePath) error {
	n := TradeText(t)
	if n <= MaxTradeText {
		return nil
	}
	longest, name := t.ID, "id"
	for _, f := range []struct{ v, name string }{
		{t.Status, "status"}, {t.MarketName, "tradeItems[0].marketName"},
		{t.Brand, "tradeItems[0].itemVariant.brand"}, {t.SkinName, "tradeItems[0].itemVariant.name"},
	} {
		if len(f.v) > len(longest) {
			longest, name = f.v, f.name
		}
	}
	return &ParseError{Kind: InvalidTrade, TradeID: gqlws.Truncate(t.ID, 64),
		Msg: fmt.Sprintf("%s is %d bytes long: the trade holds %d bytes of text, more than any listing does (%d at most)",
			at.field(name), len(longest), n, MaxTradeText)}
}

// readTrade checks the fields of f.t after the id, in order, appending the
// strings to buf and setting the other fields of t; it stops at the first
// problem. canJoin is set unless it depends on canJoinAfter, left to parseTimes.
func (f *frameScan) readTrade(buf []byte, t *messages.Trade, sp *tradeSpans, at parsePath) ([]byte, error) {
	w := &f.t
	var err error
	if buf, sp.status, err = appendText(buf, w.status, at, "status"); err != nil {
		return buf, err
	}
	if t.MarkupPercent, err = parseNumber(w.markupPercent, at, "markupPercent"); err != nil {
		return buf, err
	}
	if t.TotalValue, err = parseNumber(w.totalValue, at, "totalValue"); err != nil {
		return buf, err
	}
	if buf, sp.createdAt, err = appendText(buf, w.createdAt, at, "createdAt"); err != nil {
		return buf, err
	}
	sp.hasCreatedAt = true
	switch {
	case !parseIsNull(w.canJoin):
		switch string(w.canJoin) {
		case "true":
			t.CanJoin = true
		case "false":
		default:
			return buf, fmt.Errorf("%s is %s, want a boolean", at.field("canJoin"), parseKindOf(w.canJoin))
		}
	case parseIsNull(w.canJoinAfter):
		t.CanJoin = true
	default:
		if buf, sp.canJoinAfter, err = appendText(buf, w.canJoinAfter, at, "canJoinAfter"); err != nil {
			return buf, err
		}
		sp.hasCanJoinAfter = true
	}

	if len(w.tradeItems) == 0 || w.tradeItems[0] != '[' {
		return buf, parseWant(w.tradeItems, at.field("tradeItems"), "an array")
	}
	if w.items == 0 {
		return buf, fmt.Errorf("%s is empty", at.field("tradeItems"))
	}
	t.Items = w.items
	if !parseIsObject(w.item0) {
		return buf, parseWant(w.item0, at.field("tradeItems[0]"), "an object")
	}
	if buf, sp.marketName, err = appendText(buf, w.item.marketName, at, "tradeItems[0].marketName"); err != nil {
		return buf, err
	}
	if !parseIsObject(w.item.itemVariant) {
		return buf, parseWant(w.item.itemVariant, at.field("tradeItems[0].itemVariant"), "an object")
	}
	if buf, sp.brand, err = appendText(buf, w.item.brand, at, "tradeItems[0].itemVariant.brand"); err != nil {
		return buf, err
	}
	if buf, sp.name, err = appendText(buf, w.item.name, at, "tradeItems[0].itemVariant.name"); err != nil {
		return buf, err
	}
	t.AvgPaintWear, t.HasAvgPaintWear = optionalNumber(w.avgPaintWear, 0, 1)
	t.PatternPercentage, t.HasPatternPercentage = optionalNumber(w.item.patternPercentage, math.Inf(-1), math.Inf(1))
	sp.stickersFrom = len(buf)
	for i := range w.item.stickers {
		raw := w.item.stickerName[i]
		from := len(buf)
		if buf = appendUnquoted(buf, raw[1:len(raw)-1]); len(buf)-from > MaxStickerName {
			buf = buf[:from] // no sticker has such a name: passed over
			continue
		}
		n := sp.stickers
		sp.stickerEnds[n] = len(buf) - sp.stickersFrom
		sp.stickerWears[n] = math.NaN()
		if wear, ok := optionalNumber(w.item.stickerWear[i], 0, 1); ok {
			sp.stickerWears[n] = wear
		}
		sp.stickers++
	}
	return buf, nil
}

// optionalNumber reads a field the sinks can do without: a JSON number in
// [lo, hi], or (0, false) for anything else (absent, null, another type, out
// of range). A listing is never lost for one of these.
func optionalNumber(raw []byte, lo, hi float64) (float64, bool) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsNaN(v) || v < lo || v > hi || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// parseTimes parses the times readTrade reached, and sets CanJoin from
// canJoinAfter when it depends on it.
func (f *frameScan) parseTimes(t *messages.Trade, sp *tradeSpans, text string, at parsePath) error {
	if !sp.hasCreatedAt {
		return nil
	}
	var err error
	if t.CreatedAt, err = time.Parse(time.RFC3339Nano, sp.createdAt.in(text)); err != nil {
		return parseTimeFail(at.field("createdAt"), sp.createdAt.in(text))
	}
	if !sp.hasCanJoinAfter {
		return nil
	}
	after, err := time.Parse(time.RFC3339Nano, sp.canJoinAfter.in(text))
	if err != nil {
		return parseTimeFail(at.field("canJoinAfter"), sp.canJoinAfter.in(text))
	}
	t.CanJoin = !after.After(f.receivedAt)
	return nil
}

// appendText appends the string in raw, decoded, to buf, and returns where it
// lies there; or the problem if raw at the trade's field is not a string.
func appendText(buf, raw []byte, at parsePath, field string) ([]byte, textSpan, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return buf, textSpan{}, parseWant(raw, at.field(field), "a string")
	}
	from := len(buf)
	buf = appendUnquoted(buf, raw[1:len(raw)-1])
	return buf, textSpan{from, len(buf)}, nil
}

// parseColorWear returns the wear tier an itemVariant.color names, or WearNone
// when it is not a string naming one.
func parseColorWear(raw []byte) messages.Wear {
	// Battle-Scarred is the longest tier's name: ASCII, at most 6 bytes a
	// letter when escaped.
	const maxRaw = 2 + 6*len(messages.WearBattleScarred)
	if len(raw) < 2 || raw[0] != '"' || len(raw) > maxRaw {
		return messages.WearNone
	}
	var room [maxRaw]byte
	color := appendUnquoted(room[:0], raw[1:len(raw)-1])
	for _, w := range messages.Wears {
		if string(w) == string(color) {
			return w
		}
	}
	return messages.WearNone
}

// parseServerErrors returns a server_errors *ParseError with the messages of a
// next payload's errors, raw, or nil when there are none: what encoding/json
// makes of them as a []gqlws.GraphQLError.
func parseServerErrors(raw []byte) error {
	if parseIsNull(raw) {
		return nil
	}
	s := scanner{data: raw} // raw has been checked: the scanner finds no error
	ok := s.enter('[')
	n := 0
	var quoted []byte
	for ; ok && s.elem(); n++ {
		var msg []byte
		switch s.cur() {
		case 'n': // a null element decodes to an error with no message
			s.skip()
		case '{':
			s.enter('{')
			for k, more := s.key(); more; k, more = s.key() {
				switch {
				case string(k) != "message":
					s.skip()
				case s.cur() == '"':
					msg = s.raw()
				case s.cur() == 'n': // null leaves the message as it was
					s.skip()
				default:
					ok = false
					s.skip()
				}
			}
		default:
			ok = false
		}
		if len(quoted) <= parseServerErrorsMaxLen {
			m := ""
			if msg != nil {
				m = string(appendUnquoted(nil, msg[1:len(msg)-1]))
			}
			quoted = parseAppendServerMessage(quoted, n, m)
		}
	}
	if !ok {
		return parseFail(ServerErrors, "errors is %s, want a list of {message}", parseKindOf(raw))
	}
	if n == 0 {
		return nil
	}
	return parseServerErrorsFail(n, quoted)
}

// parseServerErrorsMaxLen bounds a server_errors message: a server message can
// be long; the log line should not be.
const parseServerErrorsMaxLen = 300

// parseAppendServerMessage appends the i-th server message, quoted, to a list of
// them.
func parseAppendServerMessage(quoted []byte, i int, msg string) []byte {
	if i > 0 {
		quoted = append(quoted, "; "...)
	}
	return strconv.AppendQuote(quoted, msg)
}

// parseServerErrorsFail returns the server_errors *ParseError for n errors
// whose messages, listed, start with quoted: at least the first
// parseServerErrorsMaxLen bytes of the list, or all of it.
func parseServerErrorsFail(n int, quoted []byte) *ParseError {
	msg := fmt.Sprintf("server reported %d error(s): %s", n, quoted)
	if len(msg) > parseServerErrorsMaxLen {
		msg = strings.ToValidUTF8(msg[:parseServerErrorsMaxLen], "") + "…"
	}
	return &ParseError{Kind: ServerErrors, Msg: msg}
}

// parsePath names a trade in messages: "trades[1]" in a batch, "trade" alone.
// It is formatted only when there is a problem to report.
type parsePath struct{ index int }

func (p parsePath) field(name string) string {
	if p.index < 0 {
		return "trade." + name
	}
	return "trades[" + strconv.Itoa(p.index) + "]." + name
}

func (p parsePath) String() string {
	if p.index < 0 {
		return "trade"
	}
	return "trades[" + strconv.Itoa(p.index) + "]"
}

// parseDerived sets the fields of t that come from its market name, and its wear:
// colorWear (the tier itemVariant.color names) if there is one, or else the tier
// the market name ends with in parentheses, or WearNone.
func parseDerived(t *messages.Trade, colorWear messages.Wear) {
	name := t.MarketName
	t.Wear = colorWear
	if t.Wear == messages.WearNone && strings.HasSuffix(name, ")") {
		if open := strings.LastIndex(name, " ("); open >= 0 {
			t.Wear, _ = messages.ParseWear(name[open+2 : len(name)-1])
		}
	}
	t.StatTrak = strings.HasPrefix(name, "StatTrak™ ") || strings.HasPrefix(name, "★ StatTrak™ ")
	t.Souvenir = strings.HasPrefix(name, "Souvenir ")
}

// parseFail returns a *ParseError of kind with a formatted message.
func parseFail(kind ErrorKind, format string, args ...any) *ParseError {
	return &ParseError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Problems returns each problem a ParseFrame error holds, in the order they
// occur in the frame. It returns nil for a nil error.
func Problems(err error) []*ParseError {
	if err == nil {
		return nil
	}
	list := errorList(err)
	out := make([]*ParseError, len(list))
	for i, e := range list {
		pe, ok := errors.AsType[*ParseError](e)
		if !ok { // not ParseFrame's: say what it is rather than lose it
			pe = &ParseError{Kind: MalformedJSON, Msg: e.Error()}
		}
		out[i] = pe
	}
	return out
}

// errorList returns the errors err holds: itself, or those it joins.
func errorList(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// parseJoin returns nil, the only error, or all of them joined.
func parseJoin(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// The raw-value helpers below say what is wrong with a value at path: missing,
// null, or of the wrong JSON type. Raw values are nil when missing, and have
// been checked as JSON, so their first byte tells their type.

func parseIsNull(raw []byte) bool { return len(raw) == 0 || string(raw) == "null" }

func parseIsObject(raw []byte) bool { return len(raw) > 0 && raw[0] == '{' }

// parseKindOf names the JSON type of raw for a message.
func parseKindOf(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// parseWant returns the error for raw at path not being a want.
func parseWant(raw []byte, path, want string) error {
	switch {
	case len(raw) == 0:
		return fmt.Errorf("%s is missing", path)
	case string(raw) == "null":
		return fmt.Errorf("%s is null", path)
	}
	return fmt.Errorf("%s is %s, want %s", path, parseKindOf(raw), want)
}

// parseNumber returns the number in raw, the trade's field; an error if raw is
// not a number or one out of float64's range.
func parseNumber(raw []byte, at parsePath, field string) (float64, error) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, parseWant(raw, at.field(field), "a number")
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, fmt.Errorf("%s is %.40s, out of range", at.field(field), raw)
	}
	return f, nil
}

// parseTimeFail returns the error for s at path not being an RFC 3339 time.
func parseTimeFail(path, s string) error {
	return fmt.Errorf("%s is %.40q, want an RFC 3339 time", path, s)
}

// parseInvalidUTF8At returns the offset of the first byte of data that is not
// part of valid UTF-8.
func parseInvalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data)
}
