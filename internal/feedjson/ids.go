package feedjson

import (
	"bytes"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// TradeIDs reads the ids of a next frame's trades without decoding the rest,
// appending them to dst: slices of data, valid as long as data is. It is the
// cheap first look that lets a second copy of a frame (the same listing on
// another connection) be dropped for a fraction of a decode.
//
// It reports ok only for a frame whose shape leaves no doubt: a well-formed
// JSON object whose type is "next", whose payload has a data object and no
// errors, holding either createTrades.trades (a non-empty array of objects)
// or createTrade.trade (an object), no key of those read more than once, and
// every trade's id a string without escapes. Then every trade ParseFrame
// would return has its ID among the ids (ParseFrame may still reject some of
// those trades). Anything else is not ok, and the caller decodes the frame
// with ParseFrame to know its trades. It never allocates.
func TradeIDs(dst [][]byte, data []byte) (ids [][]byte, ok bool) {
	p := idScan{s: scanner{data: data}, ids: dst, base: len(dst)}
	p.s.skipSpace()
	p.top()
	p.s.end()
	if p.s.bad || p.doubt || !p.next || !p.hasData || len(p.ids) == p.base {
		return dst, false
	}
	return p.ids, true
}

// FirstTradeID returns what looks like the first trade's id in a next frame:
// the first "id" string after the createTrade or createTrades key, found
// without reading the rest. It is a hint, not a promise: the frame may not be
// valid, and the string may be some other object's id. It suits a caller
// that only guesses with it (a new first id means a frame worth decoding),
// and reads the frame properly whatever it guessed. It returns nil when
// nothing looks like one, and never allocates.
func FirstTradeID(data []byte) []byte {
	i := bytes.Index(data, []byte(`"createTrade`))
	if i < 0 {
		return nil
	}
	rest := data[i:]
	j := bytes.Index(rest, []byte(`"id"`))
	if j < 0 {
		return nil
	}
	rest = rest[j+len(`"id"`):]
	k := spaces(rest, 0)
	if k == len(rest) || rest[k] != ':' {
		return nil
	}
	k = spaces(rest, k+1)
	if k == len(rest) || rest[k] != '"' {
		return nil
	}
	rest = rest[k+1:]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return nil
	}
	return rest[:end:end]
}

// spaces returns the index of the first byte of b from i that is not JSON
// white space, or len(b).
func spaces(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// idScan is TradeIDs' pass over a frame. doubt is set by anything that makes
// the frame's trades less than certain from this pass alone.
type idScan struct {
	s       scanner
	ids     [][]byte
	base    int
	doubt   bool
	next    bool // the type is "next"
	hasData bool // the payload held a data object with trades
}

// once notes that a key was read, and sets doubt if it was read before: a
// repeated key is resolved by ParseFrame, last one wins, not here.
func (p *idScan) once(seen *bool) {
	if *seen {
		p.doubt = true
	}
	*seen = true
}

// enter enters the object at s.pos, or sets doubt if the value is not one
// (and skips it). The caller reads its members with member.
func (p *idScan) enter() bool {
	if p.s.enter('{') {
		return true
	}
	p.doubt = true
	p.s.skip()
	return false
}

// member moves to the object's next member and returns its folded key; false
// at the end, on a syntax error, or once in doubt.
func (p *idScan) member() ([]byte, bool) {
	if p.doubt {
		return nil, false
	}
	return p.s.key()
}

func (p *idScan) top() {
	var typ, payload bool
	if !p.enter() {
		return
	}
	for k, ok := p.member(); ok; k, ok = p.member() {
		switch string(k) {
		case "type":
			p.once(&typ)
			p.next = textIs(unquoted(p.s.raw()), gqlws.TypeNext)
		case "payload":
			p.once(&payload)
			p.payload()
		default:
			p.s.skip()
		}
	}
}

func (p *idScan) payload() {
	var data, errs bool
	if !p.enter() {
		return
	}
	for k, ok := p.member(); ok; k, ok = p.member() {
		switch string(k) {
		case "data":
			p.once(&data)
			p.data()
		case "errors":
			p.once(&errs)
			if raw := p.s.raw(); string(raw) != "null" {
				p.doubt = true // ParseFrame reports them; let it decide
			}
		default:
			p.s.skip()
		}
	}
}

func (p *idScan) data() {
	var batch, single bool
	if !p.enter() {
		return
	}
	for k, ok := p.member(); ok; k, ok = p.member() {
		switch string(k) {
		case "createtrades":
			p.once(&batch)
			p.holder("trades")
		case "createtrade":
			p.once(&single)
			p.holder("trade")
		default:
			p.s.skip()
		}
	}
	if batch && single {
		p.doubt = true
	}
	p.hasData = batch || single
}

// holder reads createTrades or createTrade: an object whose member name holds
// the trades (an array of them) or the trade.
func (p *idScan) holder(name string) {
	var seen bool
	if !p.enter() {
		return
	}
	for k, ok := p.member(); ok; k, ok = p.member() {
		if string(k) != name {
			p.s.skip()
			continue
		}
		p.once(&seen)
		if name == "trade" {
			p.trade()
		} else {
			p.trades()
		}
	}
	if !seen {
		p.doubt = true
	}
}

func (p *idScan) trades() {
	if !p.s.enter('[') {
		p.doubt = true
		p.s.skip()
		return
	}
	for !p.doubt && p.s.elem() {
		p.trade()
	}
}

// trade reads one trade object and keeps its id.
func (p *idScan) trade() {
	var id []byte
	var seen bool
	if !p.enter() {
		return
	}
	for k, ok := p.member(); ok; k, ok = p.member() {
		if string(k) != "id" {
			p.s.skip()
			continue
		}
		p.once(&seen)
		id = p.s.raw()
	}
	text := unquoted(id)
	if len(text) == 0 || bytes.IndexByte(text, '\\') >= 0 {
		p.doubt = true
		return
	}
	p.ids = append(p.ids, text)
}

// unquoted returns the text between a JSON string's quotes, or nil when raw
// is not a string.
func unquoted(raw []byte) []byte {
	if len(raw) < 2 || raw[0] != '"' {
		return nil
	}
	return raw[1 : len(raw)-1]
}
