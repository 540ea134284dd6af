package messages

import "time"

// Frame is one text message as the connection actor read it off the socket.
type Frame struct {
	// Data is the message exactly as received. The receiver owns it, and
	// gives it back with Release once it keeps nothing of it.
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
	// Recycler, when set, takes Data back for the next frame to be read into
	// (Release). The connection actor sets it unless something else holds
	// Data too (the recorder's tap).
	Recycler Recycler
}

// Recycler takes back the buffers of frames their receivers are done with.
type Recycler interface {
	Recycle(data []byte)
}

// Release gives f's buffer back to its Recycler, if it has one, once the
// receiver is done with the frame: neither it nor anything it handed on may
// hold Data, or a slice of it, from then on (a string made from it is a
// copy, and fine). A receiver that keeps Data just does not call it.
func (f Frame) Release() {
	if f.Recycler != nil {
		f.Recycler.Recycle(f.Data)
	}
}
