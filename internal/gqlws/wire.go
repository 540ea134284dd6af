package gqlws

import "encoding/json"

// Subprotocol is the WebSocket subprotocol of the graphql-ws library, which the
// feed speaks (not the legacy subscriptions-transport-ws).
const Subprotocol = "graphql-transport-ws"

// The graphql-transport-ws message types.
const (
	TypeConnectionInit = "connection_init" // client → server, first message
	TypeConnectionAck  = "connection_ack"  // server → client, answer to init
	TypePing           = "ping"            // either way; must be answered with pong
	TypePong           = "pong"            // either way
	TypeSubscribe      = "subscribe"       // client → server, starts an operation
	TypeNext           = "next"            // server → client, one result of an operation
	TypeError          = "error"           // server → client, operation failed
	TypeComplete       = "complete"        // either way, operation finished or cancelled
)

// Close codes that a conforming graphql-transport-ws server sends.
const (
	CloseBadRequest                = 4400 // malformed message
	CloseUnauthorized              = 4401 // subscribe before connection_ack
	CloseForbidden                 = 4403 // connection_init rejected
	CloseSubprotocolNotAcceptable  = 4406
	CloseConnectionInitTimeout     = 4408
	CloseSubscriberAlreadyExists   = 4409
	CloseTooManyInitialisationReqs = 4429
	CloseInternalServerError       = 4500
)

// Envelope is one graphql-transport-ws message. Payload is left raw: what it holds
// depends on Type.
type Envelope struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// InitPayload is the payload of connection_init. The feed takes an API token
// there when one is configured; otherwise no payload is sent.
type InitPayload struct {
	Token string `json:"token,omitempty"`
}

// SubscribePayload is the payload of subscribe.
type SubscribePayload struct {
	OperationName string         `json:"operationName"`
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

// GraphQLError is one entry of a next payload's errors, or of an error message's
// payload.
type GraphQLError struct {
	Message string `json:"message"`
}

// SubscriptionID is the id of the one operation a client session runs: its
// subscription to the feed.
const SubscriptionID = "1"
