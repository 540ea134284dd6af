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

// Marshal returns e's wire form.
func (e Envelope) Marshal() ([]byte, error) { return json.Marshal(e) }
