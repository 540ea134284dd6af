// Package messages holds the plain values that pass between rollsniper's actors:
// raw frames as the connection actor received them, typed trades as the parser
// produced them, and the graphql-transport-ws wire messages that the connection
// actor and the fake server both speak, so the two cannot drift.
//
// Nothing here imports the actors; sinks depend on this package and never on the
// connection.
package messages
