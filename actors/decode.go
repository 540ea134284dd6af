package actors

// This file is the parser's decoding step: ParseFrame and everything it needs to
// turn one frame's bytes into trades. It decodes with encoding/json, layer by
// layer, into structs that hold only the fields a Trade needs (encoding/json skips
// the rest) as json.RawMessage, so that a missing field, a null one and one of the
// wrong type each get a message naming the field. A faster decoder can replace
// this file as long as it keeps ParseFrame's contract, which the tests and the
// fuzz target check; this one can stay behind as the reference to fuzz it against.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rollsniper/rollsniper/messages"
)

// ParseKind says why ParseFrame skipped a frame or a trade, or what else it has
// to report about a frame.
type ParseKind string

const (
	// ParseMalformedJSON: the frame is not a JSON object (bad syntax, truncated,
	// invalid UTF-8, or some other JSON value). The whole frame is skipped.
	ParseMalformedJSON ParseKind = "malformed_json"
	// ParseUnknownType: the frame is a message other than next, or has no type.
	// The whole frame is skipped.
	ParseUnknownType ParseKind = "unknown_type"
	// ParseNoTrades: a next message that holds no listing: no payload or data,
	// another subscription's data, or trades that are not a non-empty list.
	ParseNoTrades ParseKind = "no_trades"
	// ParseInvalidTrade: one trade lacks a required field or has one of the wrong
	// type. That trade is skipped; the frame's other trades are still returned.
	ParseInvalidTrade ParseKind = "invalid_trade"
	// ParseServerErrors: the next payload carried GraphQL errors. Nothing is
	// skipped because of them: whatever data came with them is still decoded.
	ParseServerErrors ParseKind = "server_errors"
)

// parseKinds lists every ParseKind, in the order of the parser's counters.
var parseKinds = [...]ParseKind{ParseMalformedJSON, ParseUnknownType, ParseNoTrades, ParseInvalidTrade, ParseServerErrors}

// ParseError is one problem ParseFrame found in a frame.
type ParseError struct {
	Kind ParseKind
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
func ParseFrame(dst []messages.Trade, data []byte, receivedAt time.Time) ([]messages.Trade, error) {
	if !utf8.Valid(data) {
		return dst, parseFail(ParseMalformedJSON, "invalid UTF-8 at byte %d", parseInvalidUTF8At(data))
	}
	var env parseEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return dst, parseFail(ParseMalformedJSON, "%v at byte %d", syn, syn.Offset)
		}
		return dst, parseFail(ParseMalformedJSON, "message is %s, want an object", parseKindOf(data))
	}
	if v := bytes.TrimSpace(data); len(v) == 0 || v[0] != '{' {
		return dst, parseFail(ParseMalformedJSON, "message is %s, want an object", parseKindOf(data))
	}
	typ, err := parseString(env.Type, "type")
	if err != nil {
		return dst, parseFail(ParseUnknownType, "%v", err)
	}
	if typ != messages.TypeNext {
		return dst, parseFail(ParseUnknownType, "message type %.40q is not %q", typ, messages.TypeNext)
	}

	var next parseNext
	if err := parseObject(env.Payload, "payload", &next); err != nil {
		return dst, parseFail(ParseNoTrades, "%v", err)
	}
	var errs []error
	if e := parseServerErrors(next.Errors); e != nil {
		errs = append(errs, e)
	}
	dst, errs = parseData(dst, next.Data, receivedAt, errs)
	return dst, parseJoin(errs)
}

// parseData appends the trades in a next payload's data to dst, and the problems
// it finds to errs. Data that is null next to server errors is not a problem of
// its own: the server errors say why it is null.
func parseData(dst []messages.Trade, raw json.RawMessage, receivedAt time.Time, errs []error) ([]messages.Trade, []error) {
	if parseIsNull(raw) && len(errs) > 0 {
		return dst, errs
	}
	var data parseDataJSON
	if err := parseObject(raw, "data", &data); err != nil {
		return dst, append(errs, parseFail(ParseNoTrades, "%v", err))
	}
	found := false
	if !parseIsNull(data.CreateTrades) {
		found = true
		var batch parseBatch
		if err := parseObject(data.CreateTrades, "createTrades", &batch); err != nil {
			return dst, append(errs, parseFail(ParseNoTrades, "%v", err))
		}
		trades, err := parseArray(batch.Trades, "createTrades.trades")
		if err != nil {
			return dst, append(errs, parseFail(ParseNoTrades, "%v", err))
		}
		if len(trades) == 0 {
			return dst, append(errs, parseFail(ParseNoTrades, "createTrades.trades is empty"))
		}
		for i, raw := range trades {
			dst, errs = parseAppend(dst, errs, raw, parsePath{index: i}, receivedAt)
		}
	}
	if !parseIsNull(data.CreateTrade) {
		found = true
		var single parseSingle
		if err := parseObject(data.CreateTrade, "createTrade", &single); err != nil {
			return dst, append(errs, parseFail(ParseNoTrades, "%v", err))
		}
		dst, errs = parseAppend(dst, errs, single.Trade, parsePath{index: -1}, receivedAt)
	}
	if !found {
		errs = append(errs, parseFail(ParseNoTrades, "data has neither createTrades nor createTrade"))
	}
	return dst, errs
}

// parseAppend decodes one trade and appends it to dst, or its problem to errs.
func parseAppend(dst []messages.Trade, errs []error, raw json.RawMessage, at parsePath, receivedAt time.Time) ([]messages.Trade, []error) {
	t, err := parseTrade(raw, at, receivedAt)
	if err != nil {
		return dst, append(errs, err)
	}
	return append(dst, t), errs
}

// The shapes ParseFrame reads, from the outside in. Every field is raw so that
// the next layer can say what is wrong with it.
type (
	parseEnvelope struct {
		Type    json.RawMessage `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	parseNext struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	parseDataJSON struct {
		CreateTrades json.RawMessage `json:"createTrades"`
		CreateTrade  json.RawMessage `json:"createTrade"`
	}
	parseBatch struct {
		Trades json.RawMessage `json:"trades"`
	}
	parseSingle struct {
		Trade json.RawMessage `json:"trade"`
	}
	parseTradeJSON struct {
		ID            json.RawMessage `json:"id"`
		Status        json.RawMessage `json:"status"`
		MarkupPercent json.RawMessage `json:"markupPercent"`
		TotalValue    json.RawMessage `json:"totalValue"`
		CanJoin       json.RawMessage `json:"canJoin"`
		CanJoinAfter  json.RawMessage `json:"canJoinAfter"`
		CreatedAt     json.RawMessage `json:"createdAt"`
		TradeItems    json.RawMessage `json:"tradeItems"`
	}
	parseItemJSON struct {
		MarketName  json.RawMessage `json:"marketName"`
		ItemVariant json.RawMessage `json:"itemVariant"`
	}
	parseVariantJSON struct {
		Brand json.RawMessage `json:"brand"`
		Name  json.RawMessage `json:"name"`
		Color json.RawMessage `json:"color"`
	}
)

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

// parseTrade decodes the trade in raw. Its error is an invalid_trade
// *ParseError naming the first field that is wrong.
func parseTrade(raw json.RawMessage, at parsePath, receivedAt time.Time) (messages.Trade, error) {
	t := messages.Trade{ReceivedAt: receivedAt}
	var w parseTradeJSON
	if err := parseObject(raw, at.String(), &w); err != nil {
		return t, parseFail(ParseInvalidTrade, "%v", err)
	}
	// The id comes first so that every later problem can name the trade.
	id, err := parseString(w.ID, at.field("id"))
	if err == nil && id == "" {
		err = fmt.Errorf("%s is empty", at.field("id"))
	}
	if err != nil {
		return t, parseFail(ParseInvalidTrade, "%v", err)
	}
	t.ID = id
	if err := parseTradeFields(&t, &w, at); err != nil {
		return t, &ParseError{Kind: ParseInvalidTrade, Msg: err.Error(), TradeID: id}
	}
	return t, nil
}

// parseTradeFields fills in every field of t but the id and ReceivedAt.
func parseTradeFields(t *messages.Trade, w *parseTradeJSON, at parsePath) error {
	var err error
	if t.Status, err = parseString(w.Status, at.field("status")); err != nil {
		return err
	}
	if t.MarkupPercent, err = parseNumber(w.MarkupPercent, at.field("markupPercent")); err != nil {
		return err
	}
	if t.TotalValue, err = parseNumber(w.TotalValue, at.field("totalValue")); err != nil {
		return err
	}
	if t.CreatedAt, err = parseTime(w.CreatedAt, at.field("createdAt")); err != nil {
		return err
	}
	if t.CanJoin, err = parseCanJoin(w, at, t.ReceivedAt); err != nil {
		return err
	}

	items, err := parseArray(w.TradeItems, at.field("tradeItems"))
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return fmt.Errorf("%s is empty", at.field("tradeItems"))
	}
	t.Items = len(items)
	var item parseItemJSON
	if err := parseObject(items[0], at.field("tradeItems[0]"), &item); err != nil {
		return err
	}
	if t.MarketName, err = parseString(item.MarketName, at.field("tradeItems[0].marketName")); err != nil {
		return err
	}
	var variant parseVariantJSON
	if err := parseObject(item.ItemVariant, at.field("tradeItems[0].itemVariant"), &variant); err != nil {
		return err
	}
	if t.Brand, err = parseString(variant.Brand, at.field("tradeItems[0].itemVariant.brand")); err != nil {
		return err
	}
	if t.SkinName, err = parseString(variant.Name, at.field("tradeItems[0].itemVariant.name")); err != nil {
		return err
	}
	// color is optional: anything but a wear tier there leaves the market name to say.
	color, _ := parseString(variant.Color, "")
	t.Wear = parseWear(color, t.MarketName)
	t.StatTrak = strings.HasPrefix(t.MarketName, "StatTrak™ ") || strings.HasPrefix(t.MarketName, "★ StatTrak™ ")
	t.Souvenir = strings.HasPrefix(t.MarketName, "Souvenir ")
	return nil
}

// parseCanJoin returns canJoin when the trade has it, otherwise whether
// canJoinAfter is null, absent, or not after receivedAt.
func parseCanJoin(w *parseTradeJSON, at parsePath, receivedAt time.Time) (bool, error) {
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
	after, err := parseTime(w.CanJoinAfter, at.field("canJoinAfter"))
	if err != nil {
		return false, err
	}
	return !after.After(receivedAt), nil
}

// parseWear returns the tier named by color, or else by the parenthesised tail
// of marketName, or WearNone.
func parseWear(color, marketName string) messages.Wear {
	if w, ok := messages.ParseWear(color); ok {
		return w
	}
	if !strings.HasSuffix(marketName, ")") {
		return messages.WearNone
	}
	open := strings.LastIndex(marketName, " (")
	if open < 0 {
		return messages.WearNone
	}
	w, _ := messages.ParseWear(marketName[open+2 : len(marketName)-1])
	return w
}

// parseServerErrors returns a server_errors *ParseError with the messages of a
// next payload's errors, or nil when there are none.
func parseServerErrors(raw json.RawMessage) error {
	if parseIsNull(raw) {
		return nil
	}
	var list []messages.GraphQLError
	if err := json.Unmarshal(raw, &list); err != nil {
		return parseFail(ParseServerErrors, "errors is %s, want a list of {message}", parseKindOf(raw))
	}
	if len(list) == 0 {
		return nil
	}
	const maxLen = 300 // a server message can be long; the log line should not be
	var b strings.Builder
	fmt.Fprintf(&b, "server reported %d error(s): ", len(list))
	for i, e := range list {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(strconv.Quote(e.Message))
		if b.Len() > maxLen {
			break
		}
	}
	msg := b.String()
	if len(msg) > maxLen {
		msg = strings.ToValidUTF8(msg[:maxLen], "") + "…"
	}
	return &ParseError{Kind: ParseServerErrors, Msg: msg}
}

// parseFail returns a *ParseError of kind with a formatted message.
func parseFail(kind ParseKind, format string, args ...any) *ParseError {
	return &ParseError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
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

// The raw-value readers below say what is wrong with a value at path: missing,
// null, or of the wrong JSON type. The frame has been checked as valid JSON, so
// a value's first byte tells its type.

func parseIsNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

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
func parseWant(raw json.RawMessage, path, want string) error {
	switch {
	case len(raw) == 0:
		return fmt.Errorf("%s is missing", path)
	case string(raw) == "null":
		return fmt.Errorf("%s is null", path)
	}
	return fmt.Errorf("%s is %s, want %s", path, parseKindOf(raw), want)
}

func parseString(raw json.RawMessage, path string) (string, error) {
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

func parseNumber(raw json.RawMessage, path string) (float64, error) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, parseWant(raw, path, "a number")
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, fmt.Errorf("%s is %.40s, out of range", path, raw)
	}
	return f, nil
}

func parseTime(raw json.RawMessage, path string) (time.Time, error) {
	s, err := parseString(raw, path)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is %.40q, want an RFC 3339 time", path, s)
	}
	return t, nil
}

func parseObject(raw json.RawMessage, path string, into any) error {
	if len(raw) == 0 || raw[0] != '{' {
		return parseWant(raw, path, "an object")
	}
	// Every field of into is raw, so this cannot fail on a value of the wrong type.
	return json.Unmarshal(raw, into)
}

func parseArray(raw json.RawMessage, path string) ([]json.RawMessage, error) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, parseWant(raw, path, "an array")
	}
	var list []json.RawMessage
	err := json.Unmarshal(raw, &list)
	return list, err
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
