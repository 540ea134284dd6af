package fakeroll

import (
	"encoding/json"
	"fmt"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// The server's fixed messages.
const (
	ackFrame  = `{"type":"` + gqlws.TypeConnectionAck + `"}`
	pongFrame = `{"type":"` + gqlws.TypePong + `","payload":{}}`
	// heartbeatFrame is the pong a server may send unprompted.
	heartbeatFrame = `{"type":"` + gqlws.TypePong + `"}`
)

// pongFor is the answer to a ping with payload: the pong echoes it, as the
// graphql-ws server does, so that a client can tell which ping it answers.
// A ping without a payload (or with null) gets pongFrame.
func pongFor(payload json.RawMessage) []byte {
	if len(payload) == 0 || string(payload) == "null" {
		return []byte(pongFrame)
	}
	data, _ := json.Marshal(gqlws.Envelope{Type: gqlws.TypePong, Payload: payload}) // validate checked it is an object
	return data
}

// validate checks a client message as graphql-ws's parseMessage does: a known
// type, an id where the type needs one, an object payload where one is
// given, a query in a subscribe. It returns a subscribe's payload.
func validate(env gqlws.Envelope, parsed bool) (gqlws.SubscribePayload, bool) {
	var sub gqlws.SubscribePayload
	if !parsed {
		return sub, false
	}
	switch env.Type {
	case gqlws.TypeConnectionInit, gqlws.TypePing, gqlws.TypePong:
		return sub, len(env.Payload) == 0 || isObjectOrNull(env.Payload)
	case gqlws.TypeSubscribe:
		if env.ID == "" || json.Unmarshal(env.Payload, &sub) != nil || sub.Query == "" {
			return sub, false
		}
		return sub, true
	case gqlws.TypeComplete:
		return sub, env.ID != ""
	}
	return sub, false
}

func isObjectOrNull(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch v.(type) {
	case map[string]any, nil:
		return true
	}
	return false
}

// subscriptionField returns the first field the GraphQL document query
// selects at the top of its operation ("createTrades" for
// "subscription OnCreateTrades($userId: ID) { createTrades(userId: $userId) {...} }"),
// or "" if it finds none. An alias ("a: createTrade") is seen through. It is
// not a GraphQL parser, only enough of one for the feed's subscriptions.
func subscriptionField(query string) string {
	depth := 0
	i := 0
scan:
	for ; i < len(query); i++ {
		switch query[i] {
		case '#':
			for i < len(query) && query[i] != '\n' {
				i++
			}
		case '"':
			for i++; i < len(query) && query[i] != '"'; i++ {
				if query[i] == '\\' {
					i++
				}
			}
		case '(':
			depth++
		case ')':
			depth--
		case '{':
			if depth == 0 {
				break scan
			}
		}
	}
	name, rest := graphqlName(query[min(i+1, len(query)):])
	if after, ok := skipSpace(rest); ok && after[0] == ':' {
		name, _ = graphqlName(after[1:])
	}
	return name
}

// graphqlName skips white space and commas, then returns the name that starts
// there and what follows it.
func graphqlName(s string) (name, rest string) {
	s, _ = skipSpace(s)
	n := 0
	for n < len(s) && (s[n] == '_' || 'a' <= s[n] && s[n] <= 'z' || 'A' <= s[n] && s[n] <= 'Z' || n > 0 && '0' <= s[n] && s[n] <= '9') {
		n++
	}
	return s[:n], s[n:]
}

// skipSpace skips GraphQL's ignored characters; ok is false if nothing is left.
func skipSpace(s string) (rest string, ok bool) {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == ',') {
		s = s[1:]
	}
	return s, len(s) > 0
}

// unknownFieldMessage is GraphQL's validation error for a field the
// Subscription type does not have.
func unknownFieldMessage(field string) string {
	if field == "" {
		return "Syntax Error: the document selects no subscription field."
	}
	return fmt.Sprintf("Cannot query field %q on type \"Subscription\".", field)
}

// errorFrame returns the error message for operation id.
func errorFrame(id, message string) []byte {
	payload, _ := json.Marshal([]gqlws.GraphQLError{{Message: message}})
	data, _ := json.Marshal(gqlws.Envelope{ID: id, Type: gqlws.TypeError, Payload: payload})
	return data
}

// appendNextHead appends the start of a next message of operation id for
// field, up to where the trades go: the trades array's first element for
// createTrades, the trade object for createTrade. appendNextTail closes it.
func appendNextHead(b []byte, id string, field gqlws.Subscription) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"type":"`+gqlws.TypeNext+`","payload":{"data":{"`...)
	b = append(b, field...)
	if field == gqlws.SubCreateTrades {
		return append(b, `":{"trades":[`...)
	}
	return append(b, `":{"trade":`...)
}

func appendNextTail(b []byte, field gqlws.Subscription) []byte {
	if field == gqlws.SubCreateTrades {
		return append(b, `]}}}}`...)
	}
	return append(b, `}}}}`...)
}
