package feedjson

import (
	"bytes"
	"encoding/binary"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// Head is what the connection actor needs to know of a message before it
// decides whether to handle it or hand it to the parser.
type Head struct {
	Type string // the top-level "type", "" when absent or not a string
	ID   string // the top-level "id", "" when absent or not a string
	OK   bool   // the frame is a well-formed JSON object (true too when Partial)
	// Partial: the frame is a next, and the rest of it was not read. The
	// parser reads every next in full and reports what is wrong with it.
	Partial bool
}

// Peek reads the top-level type and id of a protocol message in one
// pass of the scanner that ParseFrame uses, skipping (and checking) the rest.
// Keys match as encoding/json would match them. A frame that is not a
// well-formed JSON object returns ok false: the parser will say what is wrong.
//
// Where a key repeats, the last one wins, as in encoding/json and ParseFrame,
// so the two agree on what a frame is. A next message stops the peek as soon
// as its type is read, unless what follows could hold another "type" key:
// the parser reads the whole frame anyway, and scanning the trades twice was a
// sixth of the pipeline's CPU. Every other message (small ones: ack, ping,
// pong, complete, error) is read to its end.
//
// It allocates only for a type or id that is not one of the protocol's
// message types or the subscription's id.
func Peek(data []byte) Head { return peek(data, true) }

// PeekFirst is Peek, except that a next stops the peek as soon as its type
// is read, whatever follows (Partial): the rest is not checked for another
// "type" key, which Peek would let win. The connection actor hands such a
// frame to the parser at once, and confirms it with Peek after: a next
// whose frame says another type further on is malformed (the feed never
// sends one), and checking the rest was the largest part of its work
// between a frame's receipt and the hand-off (0.6 µs of a 3 KiB frame,
// more with a cold cache). Any other message it reads as Peek does.
//
// A next of our subscription written as the feed writes one, beginning
// nextPrefix, is known from that prefix alone, compared as three words with
// constants in the code: at a trade a second, with every cache and page
// table cold, the scanner took 2 µs to read the same two keys, and a
// compare with the prefix's bytes (another page) half of that (feedbench's
// stages at 100 a second).
func PeekFirst(data []byte) Head {
	if OurNext(data) {
		return NextHead()
	}
	return peek(data, false)
}

// OurNext reports whether data begins as the feed begins a next of our
// subscription (nextPrefix): PeekFirst(data) is then NextHead(). Both
// are inlined where they are called, so a caller that checks this first
// reads no code or data of this package's for such a frame.
func OurNext(data []byte) bool {
	return len(data) >= len(nextPrefix) && binary.LittleEndian.Uint64(data) == nextPrefix0 &&
		binary.LittleEndian.Uint64(data[8:]) == nextPrefix1 && binary.LittleEndian.Uint64(data[16:]) == nextPrefix2
}

// NextHead is the head PeekFirst returns for a next of our subscription
// that begins as the feed begins one.
func NextHead() Head {
	return Head{Type: gqlws.TypeNext, ID: gqlws.SubscriptionID, OK: true, Partial: true}
}

// nextPrefix is how the feed begins a next of our subscription: PeekFirst's
// scan of it would stop right after it, with the head PeekFirst returns.
const nextPrefix = `{"id":"` + gqlws.SubscriptionID + `","type":"` + gqlws.TypeNext + `",`

// nextPrefix's three words, little-endian (TestNextPrefixWords checks them).
const (
	nextPrefix0 = 0x31223a226469227b // {"id":"1
	nextPrefix1 = 0x2265707974222c22 // ","type"
	nextPrefix2 = 0x2c227478656e223a // :"next",
)

// peek is Peek, and PeekFirst unless whole.
func peek(data []byte, whole bool) Head {
	s := scanner{data: data}
	s.skipSpace()
	if !s.enter('{') {
		return Head{}
	}
	var env Head
	for {
		key, ok := s.key()
		if !ok {
			break
		}
		switch {
		case bytes.Equal(key, []byte("type")):
			env.Type = s.peekString()
			if env.Type == gqlws.TypeNext && !s.bad && (!whole || !mayHoldTypeKey(s.data[s.pos:])) {
				env.OK, env.Partial = true, true
				return env
			}
		case bytes.Equal(key, []byte("id")):
			env.ID = s.peekString()
		default:
			s.skip()
		}
	}
	s.end()
	env.OK = !s.bad
	return env
}

// peekString reads the value at s.pos and returns it when it is a string, or
// "" for any other value.
func (s *scanner) peekString() string {
	if s.cur() != '"' {
		s.skip()
		return ""
	}
	start := s.pos + 1
	flags := s.str()
	if s.bad {
		return ""
	}
	text := s.data[start : s.pos-1]
	if flags&strEscaped != 0 {
		return string(appendUnquoted(nil, text))
	}
	return internWireString(text)
}

// internWireString returns text as a string, without allocating for the
// strings the connection actor sees in almost every frame.
func internWireString(text []byte) string {
	for _, known := range [...]string{
		"next", "ping", "pong", "connection_ack", "complete", "error", gqlws.SubscriptionID,
	} {
		if string(text) == known {
			return known
		}
	}
	return string(text)
}

// mayHoldTypeKey reports whether rest, what follows a frame's "type", could
// hold another key that reads as "type": one written with an escape, or
// "type" in any case between quotes. It may say yes when there is none (a
// nested key, a value); never no when there is one.
func mayHoldTypeKey(rest []byte) bool {
	if bytes.IndexByte(rest, '\\') >= 0 {
		return true
	}
	// Found by its y, a letter rarer in a trade than the others, with a
	// vectorised search, rather than by a look at every byte: a few hundred
	// nanoseconds on a real batch, against a few microseconds to parse it.
	for _, y := range [...]byte{'y', 'Y'} {
		for i := 0; ; {
			j := bytes.IndexByte(rest[i:], y)
			if j < 0 {
				break
			}
			k := i + j
			if k >= 2 && k+3 < len(rest) && rest[k-2] == '"' && rest[k-1]|0x20 == 't' &&
				rest[k+1]|0x20 == 'p' && rest[k+2]|0x20 == 'e' && rest[k+3] == '"' {
				return true
			}
			i = k + 1
		}
	}
	return false
}
