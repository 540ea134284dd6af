package actors

// Tests of the session reader's handling of each protocol message, without a
// socket: a table, the shutdown barrier, and a fuzz target over any sequence
// of frames a server could send.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// testReader is a session reader with no socket: what it would send is
// recorded in sent, and a send fails with failSend when that is set.
type testReader struct {
	*sessionReader
	sent     []gqlws.Envelope
	failSend error
}

func newTestReader() *testReader {
	c := NewConn(ConnConfig{}, slog.New(slog.DiscardHandler))
	tr := &testReader{sessionReader: newSessionReader(c, nil, 1, slog.New(slog.DiscardHandler))}
	tr.send = func(_ context.Context, m gqlws.Envelope) error {
		if tr.failSend != nil {
			return tr.failSend
		}
		tr.sent = append(tr.sent, m)
		return nil
	}
	return tr
}

func (tr *testReader) isAcked() bool {
	select {
	case <-tr.acked:
		return true
	default:
		return false
	}
}

func TestSessionReaderHandle(t *testing.T) {
	for _, tt := range []struct {
		frame       string
		failSend    bool
		wantForward bool
		wantReason  string // of the session's end; "" when it goes on
		wantSent    string // the message sent in reply
		wantAck     bool
		wantPongs   uint64
		wantTrade   bool
	}{
		{frame: `{"type":"connection_ack"}`, wantAck: true},
		{frame: `{"type":"ping"}`, wantSent: `{"type":"pong"}`},
		{frame: `{"type":"ping","payload":{"x":1}}`, wantSent: `{"type":"pong","payload":{"x":1}}`},
		{frame: `{"type":"ping"}`, failSend: true, wantReason: gqlws.ReasonWriteFailed},
		{frame: `{"type":"pong","payload":{}}`, wantPongs: 1},
		{frame: `{"id":"1","type":"complete"}`, wantReason: gqlws.ReasonSubscriptionEnded},
		{frame: `{"id":"2","type":"complete"}`},
		{frame: `{"id":"1","type":"error","payload":[{"message":"no"}]}`, wantReason: gqlws.ReasonSubscriptionEnded},
		{frame: `{"id":"9","type":"error","payload":[]}`},
		{frame: `{"id":"1","type":"next","payload":{}}`, wantForward: true, wantTrade: true},
		{frame: `{"type":"surprise"}`, wantForward: true},
		{frame: `{not json`, wantForward: true},
		{frame: ``, wantForward: true},
	} {
		t.Run(tt.frame, func(t *testing.T) {
			r := newTestReader()
			if tt.failSend {
				r.failSend = errors.New("socket gone")
			}
			forward, err := handleFrame(t, r.sessionReader, []byte(tt.frame), time.Now(), time.Second)
			if forward != tt.wantForward {
				t.Errorf("forward = %t, want %t", forward, tt.wantForward)
			}
			se, _ := errors.AsType[*gqlws.RetryError](err)
			switch {
			case tt.wantReason == "" && err != nil:
				t.Errorf("err = %v, want the session to go on", err)
			case tt.wantReason != "" && (se == nil || se.Reason != tt.wantReason):
				t.Errorf("err = %v, want a session end for %s", err, tt.wantReason)
			}
			var sent string
			if len(r.sent) == 1 {
				b, err := r.sent[0].Marshal()
				if err != nil {
					t.Fatal(err)
				}
				sent = string(b)
			}
			if sent != tt.wantSent || len(r.sent) > 1 {
				t.Errorf("sent %v, want %q", r.sent, tt.wantSent)
			}
			if r.isAcked() != tt.wantAck {
				t.Errorf("acked = %t, want %t", r.isAcked(), tt.wantAck)
			}
			if got := r.pongs.Load(); got != tt.wantPongs {
				t.Errorf("pongs = %d, want %d", got, tt.wantPongs)
			}
			if r.productive.Load() != tt.wantTrade {
				t.Errorf("productive = %t, want %t", r.productive.Load(), tt.wantTrade)
			}
			if tt.wantTrade && time.Duration(r.lastTrade.Load()) != time.Second {
				t.Errorf("lastTrade = %v of listening time, want the 1s the frame was heard at", time.Duration(r.lastTrade.Load()))
			}
		})
	}
}

// A second ack is ignored (closing acked twice would panic).
func TestSessionReaderSecondAck(t *testing.T) {
	r := newTestReader()
	for range 2 {
		if _, err := handleFrame(t, r.sessionReader, []byte(`{"type":"connection_ack"}`), time.Now(), 0); err != nil {
			t.Fatal(err)
		}
	}
	if !r.isAcked() {
		t.Error("not acked")
	}
}

// The shutdown barrier ends on the pong that echoes its token, and on no
// other: not a heartbeat, not the answer to a periodic ping, not another
// barrier's.
func TestShutdownBarrierEndsOnlyOnItsEcho(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newTestReader()
		token := "k3y"
		r.barrier.Store(&token)
		returned := make(chan bool, 1)
		go func() { returned <- r.awaitEcho(time.Now().Add(time.Minute)) }()
		for _, pong := range []string{
			`{"type":"pong"}`,
			`{"type":"pong","payload":{}}`,
			`{"type":"pong","payload":{"barrier":"other"}}`,
		} {
			if _, err := handleFrame(t, r.sessionReader, []byte(pong), time.Now(), 0); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			select {
			case <-returned:
				t.Fatalf("the barrier ended on %s", pong)
			default:
			}
		}
		echo := []byte(`{"type":"pong","payload":{"barrier":"k3y"}}`)
		for range 2 { // a second echo must not close the channel twice
			if _, err := handleFrame(t, r.sessionReader, echo, time.Now(), 0); err != nil {
				t.Fatal(err)
			}
		}
		if ok := <-returned; !ok {
			t.Error("the barrier reported no echo, want it to end on its own pong")
		}
		if got := r.pongs.Load(); got != 5 {
			t.Errorf("counted %d pongs, want all 5", got)
		}
	})
}

// The barrier gives up at its deadline, and at once when the reader ends.
func TestShutdownBarrierGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newTestReader()
		start := time.Now()
		if r.awaitEcho(start.Add(2 * time.Second)) {
			t.Error("an echo was reported, but none came")
		}
		if got := time.Since(start); got != 2*time.Second {
			t.Errorf("waited %v with no pong, want the 2s to the deadline", got)
		}
		close(r.done)
		r.awaitEcho(time.Now().Add(time.Hour))
		if got := time.Since(start); got != 2*time.Second {
			t.Errorf("waited until %v with the reader gone, want no wait", got)
		}
	})
}

// FuzzSessionReaderHandle feeds any sequence of frames (one a line) to the
// reader's handling and checks it against what the protocol asks: every ping
// answered with one pong, the ack noticed once, pongs counted, the session
// ended only by complete or error for our subscription (with a short reason),
// next and anything unknown forwarded. The checked-in corpus is in
// testdata/fuzz/FuzzSessionReaderHandle.
func FuzzSessionReaderHandle(f *testing.F) {
	for _, file := range fixtures.All(f) {
		f.Add(file.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newTestReader()
		var pings, pongs int
		var acked, trade bool
		for frame := range bytes.Lines(data) {
			frame = bytes.TrimSuffix(frame, []byte("\n"))
			orig := string(frame)
			env := feedjson.Peek(frame)
			forward, err := handleFrame(t, r.sessionReader, frame, time.Now(), 0)
			switch env.Type {
			case gqlws.TypePing:
				pings++
			case gqlws.TypePong:
				pongs++
			case gqlws.TypeConnectionAck:
				acked = true
			case gqlws.TypeNext:
				trade = true
			}
			handled := env.Type == gqlws.TypeConnectionAck || env.Type == gqlws.TypePing || env.Type == gqlws.TypePong ||
				env.Type == gqlws.TypeComplete || env.Type == gqlws.TypeError
			if forward == handled {
				t.Fatalf("frame %q of type %q: forward = %t", orig, env.Type, forward)
			}
			ends := env.ID == gqlws.SubscriptionID && (env.Type == gqlws.TypeComplete || env.Type == gqlws.TypeError)
			if (err != nil) != ends {
				t.Fatalf("frame %q: err = %v, want a session end: %t", orig, err, ends)
			}
			if err != nil {
				se, ok := errors.AsType[*gqlws.RetryError](err)
				if !ok || se.Reason != gqlws.ReasonSubscriptionEnded {
					t.Fatalf("frame %q ended the session with %v, want subscription_ended", orig, err)
				}
				if len(err.Error()) > 2*gqlws.MaxReasonLen {
					t.Fatalf("reason of %d bytes for frame %q, want it short", len(err.Error()), orig)
				}
				break
			}
		}
		if len(r.sent) != pings {
			t.Errorf("%d replies for %d pings", len(r.sent), pings)
		}
		for _, m := range r.sent {
			if m.Type != gqlws.TypePong {
				t.Errorf("sent %q, want only pongs", m.Type)
			}
		}
		if got := r.pongs.Load(); got != uint64(pongs) {
			t.Errorf("counted %d pongs, want %d", got, pongs)
		}
		if r.isAcked() != acked || r.productive.Load() != trade {
			t.Errorf("acked %t productive %t, want %t %t", r.isAcked(), r.productive.Load(), acked, trade)
		}
	})
}

// readInto puts msg in r's read buffer as readMessage leaves a message there,
// and returns the message's bytes.
func readInto(t *testing.T, r *sessionReader, msg []byte) []byte {
	t.Helper()
	r.buf.Reset()
	if _, err := r.buf.ReadFrom(bytes.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	return r.buf.Bytes()
}

// A frame handed on takes the read buffer with it, uncopied, and the next
// read goes into a new buffer, so a frame still waiting for the parser is
// never written over; a small frame read into a buffer much larger than it
// is copied instead, so that a queued frame holds at most twice its bytes.
func TestReaderHandsOnItsBufferAndReadsIntoANewOne(t *testing.T) {
	r := newTestReader().sessionReader
	first := bytes.Repeat([]byte("a"), 3000)
	data := readInto(t, r, first)
	frame, _ := r.frameData(data)
	if &frame[0] != &data[0] {
		t.Error("the frame is a copy of a message that fits its buffer")
	}
	r.renew(len(frame))
	second := readInto(t, r, bytes.Repeat([]byte("b"), 3000))
	if !bytes.Equal(frame, first) {
		t.Fatal("reading the next message changed the frame handed on before it")
	}
	if &second[0] == &frame[0] {
		t.Error("the next message was read into the frame's buffer")
	}

	big := readInto(t, r, bytes.Repeat([]byte("c"), 64<<10)) // grows the buffer
	bigFrame, _ := r.frameData(big)
	r.renew(len(bigFrame))
	small := readInto(t, r, []byte(`{"type":"next"}`)) // into a buffer sized for the big one
	frame, _ = r.frameData(small)
	if &frame[0] == &small[0] || cap(frame) > 2*len(frame)+minFrameBuffer {
		t.Errorf("a %d-byte frame holds a buffer of %d bytes", len(frame), cap(frame))
	}
	// The large buffer is not kept: the next small frame is read into one
	// sized for the last, and handed on in it.
	r.renew(len(frame))
	next := readInto(t, r, []byte(`{"type":"next","id":"2"}`))
	if frame, _ := r.frameData(next); &frame[0] != &next[0] {
		t.Errorf("the small frame after a small one was copied out of a %d-byte buffer: the reader kept the large one", cap(next))
	}
}

// handleFrame has r handle frame as its run does: the head PeekFirst reads.
func handleFrame(t *testing.T, r *sessionReader, frame []byte, received time.Time, heard time.Duration) (bool, error) {
	return r.handle(t.Context(), feedjson.PeekFirst(frame), frame, received, heard)
}
