package messages

import "time"

// Frame is one text message as the connection actor read it off the socket.
type Frame struct {
	// Data is the message exactly as received. The receiver owns it.
	Data []byte
	// ReceivedAt is when the read returned, stamped before anything else is done
	// with the frame; latency figures are measured from it.
	ReceivedAt time.Time
	// Session counts the connection actor's sessions from 1, so a consumer can tell
	// frames of one connection from those of the next.
	Session uint64
	// Conn is which of the feed's connections read it, from 1 (sniper
	// -connections runs several lines of one feed); 0 in a frame no
	// connection read, which counts as the first.
	Conn int
}
