package feedjson

import (
	"bytes"

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
// A next message stops the peek as soon as its type is read: the parser reads
// the whole frame anyway, and scanning the trades twice was a sixth of the
// pipeline's CPU. Every other message (small ones: ack, ping, pong, complete,
// error) is read to its end.
//
// It allocates only for a type or id that is not one of the protocol's
// message types or the subscription's id.
func Peek(data []byte) Head {
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
			if env.Type == gqlws.TypeNext && !s.bad {
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
