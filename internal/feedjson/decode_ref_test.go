package feedjson

// This file keeps the first ParseFrame, which decodes layer by layer with
// encoding/json, as the reference that FuzzParseFrameMatchesReference holds the
// scanner in decode.go to. It shares with decode.go only the helpers that format
// messages and derive fields from decoded values (parsePath, parseWant,
// parseNumber, parseDerived, parseServerErrorsFail and the like); every decision
// about what the JSON holds is encoding/json's.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/messages"
)

// parseFrameRef is ParseFrame as encoding/json would decode the frame.
func parseFrameRef(dst []messages.Trade, data []byte, receivedAt time.Time) ([]messages.Trade, error) {
	if !utf8.Valid(data) {
		return dst, parseFail(MalformedJSON, "invalid UTF-8 at byte %d", parseInvalidUTF8At(data))
	}
	var env refEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return dst, parseFail(MalformedJSON, "%v at byte %d", syn, syn.Offset)
		}
		return dst, parseFail(MalformedJSON, "message is %s, want an object", parseKindOf(data))
	}
	if v := bytes.TrimSpace(data); len(v) == 0 || v[0] != '{' {
		return dst, parseFail(MalformedJSON, "message is %s, want an object", parseKindOf(data))
	}
	typ, err := refString(env.Type, "type")
	if err != nil {
		return dst, parseFail(UnknownType, "%v", err)
	}
	if typ != gqlws.TypeNext {
		return dst, parseFail(UnknownType, "message type %.40q is not %q", typ, gqlws.TypeNext)
	}

	var next refNext
	if err := refObject(env.Payload, "payload", &next); err != nil {
		return dst, parseFail(NoTrades, "%v", err)
	}
	var errs []error
	if e := refServerErrors(next.Errors); e != nil {
		errs = append(errs, e)
	}
	dst, errs = refData(dst, next.Data, receivedAt, errs)
	return dst, parseJoin(errs)
}

// refData appends the trades in a next payload's data to dst, and the problems
// it finds to errs. Data that is null next to server errors is not a problem of
// its own: the server errors say why it is null.
func refData(dst []messages.Trade, raw json.RawMessage, receivedAt time.Time, errs []error) ([]messages.Trade, []error) {
	if parseIsNull(raw) && len(errs) > 0 {
		return dst, errs
	}
	var data refDataJSON
	if err := refObject(raw, "data", &data); err != nil {
		return dst, append(errs, parseFail(NoTrades, "%v", err))
	}
	found := false
	if !parseIsNull(data.CreateTrades) {
		found = true
		var batch refBatch
		if err := refObject(data.CreateTrades, "createTrades", &batch); err != nil {
			return dst, append(errs, parseFail(NoTrades, "%v", err))
		}
		trades, err := refArray(batch.Trades, "createTrades.trades")
		if err != nil {
			return dst, append(errs, parseFail(NoTrades, "%v", err))
		}
		if len(trades) == 0 {
			return dst, append(errs, parseFail(NoTrades, "createTrades.trades is empty"))
		}
		for i, raw := range trades {
			dst, errs = refAppend(dst, errs, raw, parsePath{index: i}, receivedAt)
		}
	}
	if !parseIsNull(data.CreateTrade) {
		found = true
		var single refSingle
		if err := refObject(data.CreateTrade, "createTrade", &single); err != nil {
			return dst, append(errs, parseFail(NoTrades, "%v", err))
		}
		dst, errs = refAppend(dst, errs, single.Trade, parsePath{index: -1}, receivedAt)
	}
	if !found {
		errs = append(errs, parseFail(NoTrades, "data has neither createTrades nor createTrade"))
	}
	return dst, errs
}

// refAppend decodes one trade and appends it to dst, or its problem to errs.
func refAppend(dst []messages.Trade, errs []error, raw json.RawMessage, at parsePath, receivedAt time.Time) ([]messages.Trade, []error) {
	t, err := refTrade(raw, at, receivedAt)
	if err != nil {
		return dst, append(errs, err)
	}
	return append(dst, t), errs
}

// The shapes parseFrameRef reads, from the outside in. Every field is raw so that
// the next layer can say what is wrong with it.
type (
	refEnvelope struct {
		Type    json.RawMessage `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	refNext struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	refDataJSON struct {
		CreateTrades json.RawMessage `json:"createTrades"`
		CreateTrade  json.RawMessage `json:"createTrade"`
	}
	refBatch struct {
		Trades json.RawMessage `json:"trades"`
	}
	refSingle struct {
		Trade json.RawMessage `json:"trade"`
	}
	refTradeJSON struct {
		ID            json.RawMessage `json:"id"`
		Status        json.RawMessage `json:"status"`
		MarkupPercent json.RawMessage `json:"markupPercent"`
		TotalValue    json.RawMessage `json:"totalValue"`
		CanJoin       json.RawMessage `json:"canJoin"`
		CanJoinAfter  json.RawMessage `json:"canJoinAfter"`
		CreatedAt     json.RawMessage `json:"createdAt"`
		AvgPaintWear  json.RawMessage `json:"avgPaintWear"`
		TradeItems    json.RawMessage `json:"tradeItems"`
	}
	refItemJSON struct {
		MarketName        json.RawMessage `json:"marketName"`
		ItemVariant       json.RawMessage `json:"itemVariant"`
		PatternPercentage json.RawMessage `json:"patternPercentage"`
		Stickers          json.RawMessage `json:"stickers"`
	}
	refStickerJSON struct {
		Name json.RawMessage `json:"name"`
		Wear json.RawMessage `json:"wear"`
	}
	refVariantJSON struct {
		Brand json.RawMessage `json:"brand"`
		Name  json.RawMessage `json:"name"`
		Color json.RawMessage `json:"color"`
	}
)

// refTrade decodes the trade in raw. Its error is an invalid_trade *ParseError
// naming the first field that is wrong.
func refTrade(raw json.RawMessage, at parsePath, receivedAt time.Time) (messages.Trade, error) {
	t := messages.Trade{ReceivedAt: receivedAt}
	var w refTradeJSON
	if err := refObject(raw, at.String(), &w); err != nil {
		return t, parseFail(InvalidTrade, "%v", err)
	}
	// The id comes first so that every later problem can name the trade.
	id, err := refString(w.ID, at.field("id"))
	if err == nil && id == "" {
		err = fmt.Errorf("%s is empty", at.field("id"))
	}
	if err != nil {
		return t, parseFail(InvalidTrade, "%v", err)
	}
	t.ID = id
	if err := refTradeFields(&t, &w, at); err != nil {
		return t, &ParseError{Kind: InvalidTrade, Msg: err.Error(), TradeID: id}
	}
	if err := checkTextSize(&t, at); err != nil {
		return messages.Trade{ReceivedAt: receivedAt}, err
	}
	return t, nil
}

// refTradeFields fills in every field of t but the id and ReceivedAt.
func refTradeFields(t *messages.Trade, w *refTradeJSON, at parsePath) error {
	var err error
	if t.Status, err = refString(w.Status, at.field("status")); err != nil {
		return err
	}
	if t.MarkupPercent, err = parseNumber(w.MarkupPercent, at, "markupPercent"); err != nil {
		return err
	}
	if t.TotalValue, err = parseNumber(w.TotalValue, at, "totalValue"); err != nil {
		return err
	}
	if t.CreatedAt, err = refTime(w.CreatedAt, at.field("createdAt")); err != nil {
		return err
	}
	if t.CanJoin, err = refCanJoin(w, at, t.ReceivedAt); err != nil {
		return err
	}

	items, err := refArray(w.TradeItems, at.field("tradeItems"))
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return fmt.Errorf("%s is empty", at.field("tradeItems"))
	}
	t.Items = len(items)
	var item refItemJSON
	if err := refObject(items[0], at.field("tradeItems[0]"), &item); err != nil {
		return err
	}
	if t.MarketName, err = refString(item.MarketName, at.field("tradeItems[0].marketName")); err != nil {
		return err
	}
	var variant refVariantJSON
	if err := refObject(item.ItemVariant, at.field("tradeItems[0].itemVariant"), &variant); err != nil {
		return err
	}
	if t.Brand, err = refString(variant.Brand, at.field("tradeItems[0].itemVariant.brand")); err != nil {
		return err
	}
	if t.SkinName, err = refString(variant.Name, at.field("tradeItems[0].itemVariant.name")); err != nil {
		return err
	}
	t.AvgPaintWear, t.HasAvgPaintWear = refOptional(w.AvgPaintWear, 0, 1)
	t.PatternPercentage, t.HasPatternPercentage = refOptional(item.PatternPercentage, math.Inf(-1), math.Inf(1))
	t.Stickers = refStickers(item.Stickers)
	// color is optional: anything but a wear tier there leaves the market name to say.
	color, _ := refString(variant.Color, "")
	colorWear, _ := messages.ParseWear(color)
	parseDerived(t, colorWear)
	return nil
}

// refOptional reads an optional number: a finite JSON number in [lo, hi], or
// nothing.
func refOptional(raw json.RawMessage, lo, hi float64) (float64, bool) {
	var v *float64
	if len(raw) == 0 || raw[0] == '"' || json.Unmarshal(raw, &v) != nil || v == nil {
		return 0, false
	}
	if math.IsNaN(*v) || math.IsInf(*v, 0) || *v < lo || *v > hi {
		return 0, false
	}
	return *v, true
}

// refStickers reads an item's stickers: the first MaxStickers objects whose
// name is a non-empty string, each with its wear when that is a number in
// [0, 1]. Anything else in the list is passed over.
func refStickers(raw json.RawMessage) messages.Stickers {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return messages.Stickers{}
	}
	var got []messages.Sticker
	named := 0
	for _, el := range list {
		var st refStickerJSON
		if len(el) == 0 || el[0] != '{' || json.Unmarshal(el, &st) != nil {
			continue
		}
		name, err := refString(st.Name, "")
		if err != nil || name == "" || named == messages.MaxStickers {
			continue
		}
		named++ // one of the first MaxStickers with a name, which count even if too long
		if len(name) > MaxStickerName {
			continue
		}
		wear, ok := refOptional(st.Wear, 0, 1)
		got = append(got, messages.Sticker{Name: name, Wear: wear, HasWear: ok})
	}
	return messages.StickersOf(got...)
}

// refCanJoin returns canJoin when the trade has it, otherwise whether
// canJoinAfter is null, absent, or not after receivedAt.
func refCanJoin(w *refTradeJSON, at parsePath, receivedAt time.Time) (bool, error) {
	if !parseIsNull(w.CanJoin) {
		switch string(w.CanJoin) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, fmt.Errorf("%s is %s, want a boolean", at.field("canJoin"), parseKindOf(w.CanJoin))
	}
	if parseIsNull(w.CanJoinAfter) {
		return true, nil
	}
	after, err := refTime(w.CanJoinAfter, at.field("canJoinAfter"))
	if err != nil {
		return false, err
	}
	return !after.After(receivedAt), nil
}

// refServerErrors returns a server_errors *ParseError with the messages of a
// next payload's errors, or nil when there are none.
func refServerErrors(raw json.RawMessage) error {
	if parseIsNull(raw) {
		return nil
	}
	var list []gqlws.GraphQLError
	if err := json.Unmarshal(raw, &list); err != nil {
		return parseFail(ServerErrors, "errors is %s, want a list of {message}", parseKindOf(raw))
	}
	if len(list) == 0 {
		return nil
	}
	var quoted []byte
	for i, e := range list {
		if len(quoted) > parseServerErrorsMaxLen {
			break
		}
		quoted = parseAppendServerMessage(quoted, i, e.Message)
	}
	return parseServerErrorsFail(len(list), quoted)
}

// The raw-value readers below say what is wrong with a value at path: missing,
// null, or of the wrong JSON type. The frame has been checked as valid JSON, so
// a value's first byte tells its type.

func refString(raw json.RawMessage, path string) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", parseWant(raw, path, "a string")
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func refTime(raw json.RawMessage, path string) (time.Time, error) {
	s, err := refString(raw, path)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, parseTimeFail(path, s)
	}
	return t, nil
}

func refObject(raw json.RawMessage, path string, into any) error {
	if len(raw) == 0 || raw[0] != '{' {
		return parseWant(raw, path, "an object")
	}
	// Every field of into is raw, so this cannot fail on a value of the wrong type.
	return json.Unmarshal(raw, into)
}

func refArray(raw json.RawMessage, path string) ([]json.RawMessage, error) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, parseWant(raw, path, "an array")
	}
	var list []json.RawMessage
	err := json.Unmarshal(raw, &list)
	return list, err
}
