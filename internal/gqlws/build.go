package gqlws

import "encoding/json"

// Init is the client's connection_init: with the API token as its payload
// when one is set, and no payload otherwise (as most clients send it).
func Init(token string) Envelope {
	e := Envelope{Type: TypeConnectionInit}
	if token != "" {
		e.Payload, _ = json.Marshal(InitPayload{Token: token}) // a string always marshals
	}
	return e
}

// Subscribe is the client's subscribe for sub, under SubscriptionID.
func Subscribe(sub Subscription) Envelope {
	payload, err := json.Marshal(sub.Payload())
	if err != nil {
		panic("gqlws: marshal a subscribe payload: " + err.Error()) // strings and maps of nil always marshal
	}
	return Envelope{ID: SubscriptionID, Type: TypeSubscribe, Payload: payload}
}

// Unsubscribe is the client's complete for its subscription.
func Unsubscribe() Envelope { return Envelope{ID: SubscriptionID, Type: TypeComplete} }

// Ping and Pong are the heartbeat's messages, without a payload.
func Ping() Envelope { return Envelope{Type: TypePing} }
func Pong() Envelope { return Envelope{Type: TypePong} }

// barrierPayload is the payload of a barrier ping: an object, as the protocol
// requires of a ping's payload.
type barrierPayload struct {
	Barrier string `json:"barrier"`
}

// BarrierPing is a ping whose payload carries token. The server echoes a
// ping's payload in its pong, so the pong that carries token answers this
// ping and no other: unlike a count of pongs, it cannot be confused by a
// pong sent unprompted as a heartbeat.
func BarrierPing(token string) Envelope {
	payload, _ := json.Marshal(barrierPayload{Barrier: token}) // a string always marshals
	return Envelope{Type: TypePing, Payload: payload}
}

// EchoesBarrier reports whether frame, a pong, echoes BarrierPing(token).
func EchoesBarrier(frame []byte, token string) bool {
	var msg struct {
		Payload barrierPayload `json:"payload"`
	}
	return token != "" && json.Unmarshal(frame, &msg) == nil && msg.Payload.Barrier == token
}

// PongFor is the answer to frame, a ping: a pong that echoes the ping's
// payload when it is an object, as a graphql-ws server answers ours, and a
// pong without one otherwise.
func PongFor(frame []byte) Envelope {
	var msg struct {
		Payload json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(frame, &msg) != nil || len(msg.Payload) == 0 || msg.Payload[0] != '{' {
		return Pong()
	}
	return Envelope{Type: TypePong, Payload: msg.Payload}
}

// Marshal returns e's wire form.
func (e Envelope) Marshal() ([]byte, error) { return json.Marshal(e) }
