package actors

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/messages"
)

// giveBack gives data's storage back to p as the last holder of a frame in
// it does.
func giveBack(p *framePool, data []byte) {
	b := &frameBuf{pool: p}
	b.hold(1)
	messages.Frame{Data: data, Recycler: b}.Release()
}

// A buffer given back is taken again by the next get whose size fits it, the
// smallest that fits first, and by nothing else; one larger than
// maxPooledFrame is not kept; a full pool takes the place of its buffers in
// turn, so that sizes no frame needs any more leave it.
func TestFramePoolGivesBackBuffersThatFit(t *testing.T) {
	var p framePool
	small, large := make([]byte, 100, 2000), make([]byte, 10, 4000)
	giveBack(&p, large)
	giveBack(&p, small)
	if b := p.get(4001, 8000); b != nil {
		t.Errorf("get(4001, 8000) = a buffer of %d bytes, want none", cap(b.data))
	}
	b := p.get(1500, 5000)
	if b == nil || cap(b.data) != 2000 || len(b.data) != 0 || &b.data[:1][0] != &small[:1][0] {
		t.Fatalf("get(1500, 5000) = %v, want the 2000-byte buffer, empty", b)
	}
	if b := p.get(1500, 5000); b == nil || cap(b.data) != 4000 {
		t.Errorf("second get(1500, 5000) = %v, want the 4000-byte buffer", b)
	}
	if b := p.get(0, 1<<30); b != nil {
		t.Errorf("get from an empty pool = a buffer of %d bytes, want none", cap(b.data))
	}

	giveBack(&p, make([]byte, 0, maxPooledFrame+1))
	if b := p.get(0, 1<<30); b != nil {
		t.Errorf("kept a buffer of %d bytes, larger than maxPooledFrame", cap(b.data))
	}

	for i := range framePoolSize {
		giveBack(&p, make([]byte, 0, 1000+i)) // a size no frame will ask for
	}
	for range framePoolSize {
		giveBack(&p, make([]byte, 0, 3000))
	}
	for i := range framePoolSize {
		if b := p.get(3000, 3000); b == nil {
			t.Fatalf("get %d of the %d buffers given back to a full pool: none", i+1, framePoolSize)
		}
	}
}

// A frame's buffer goes back to the pool only once every holder has released
// the frame: the reader that confirms a next after handing it on reads it
// while the parser may be done with it already.
func TestFrameBufGoesBackOnceEveryHolderIsDone(t *testing.T) {
	var p framePool
	b := p.newFrameBuf(3000)
	data := append(b.data, "frame"...)
	b.hold(2)
	f := messages.Frame{Data: data, Recycler: b}
	f.Release()
	if got := p.get(0, 1<<30); got != nil {
		t.Fatal("the buffer went back with one of its two holders still reading it")
	}
	f.Release()
	if got := p.get(0, 1<<30); got != b || len(got.data) != 0 || cap(got.data) != 3000 {
		t.Fatalf("get after both released = %v, want the frame's buffer, empty", got)
	}
}

// The reader reads into a buffer given back when one of the right size is
// there, and only once it is given back.
func TestReaderReadsIntoABufferGivenBack(t *testing.T) {
	r := newTestReader().sessionReader
	msg := bytes.Repeat([]byte("a"), 3000)
	r.renew(0)
	data, _ := r.frameData(readInto(t, r, msg))
	r.renew(len(data)) // now sized for frames like msg
	first, buf := r.frameData(readInto(t, r, msg))
	if buf == nil {
		t.Fatal("a frame handed on in its buffer has no frameBuf")
	}
	buf.hold(1)
	r.renew(len(first))
	second, _ := r.frameData(readInto(t, r, msg))
	if &second[0] == &first[0] {
		t.Fatal("the second frame was read into the first's buffer before it was given back")
	}
	messages.Frame{Data: first, Recycler: buf}.Release()
	r.renew(len(second))
	third := readInto(t, r, bytes.Repeat([]byte("c"), 3000))
	if &third[0] != &first[0] {
		t.Error("the third frame was not read into the first's buffer, given back")
	}
	if !bytes.Equal(second, msg) {
		t.Error("reading the third frame changed the second")
	}
}

// recycled records the buffers given back to it.
type recycled struct {
	mu   sync.Mutex
	bufs [][]byte
}

func (r *recycled) Recycle(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bufs = append(r.bufs, b)
}

// The parser gives every frame's buffer back once it is done with it, with
// one line or several, malformed frames and copies too; the trades it handed
// on keep nothing of the bytes, which the next frames are read into.
func TestParserGivesFramesBackWhenDone(t *testing.T) {
	frame := framer(t)
	for _, lines := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d lines", lines), func(t *testing.T) {
			var rec recycled
			var frames []messages.Frame
			var want []string
			for i := range 20 {
				id := fmt.Sprintf("T%d", i)
				data := frame(id)
				if i%5 == 4 {
					data = fixtures.Mutate(t, data, fixtures.BatchTrades+".0.tradeItems.0.itemVariant", nil) // skipped
				} else {
					want = append(want, id)
				}
				frames = append(frames, messages.Frame{Data: data, ReceivedAt: fixtures.Received, Session: 1, Conn: 1, Recycler: &rec})
				if lines == 2 {
					frames = append(frames, messages.Frame{Data: bytes.Clone(data), ReceivedAt: fixtures.Received, Session: 1, Conn: 2, Recycler: &rec})
				}
			}
			in := make(chan messages.Frame, len(frames))
			p := NewParserLines(in, lines, slog.New(slog.DiscardHandler))
			wait := parserStart(t, t.Context(), p)
			for _, f := range frames {
				in <- f
			}
			close(in)
			got := parserCollect(t, p)
			if err := wait(); err != nil {
				t.Fatal(err)
			}
			if len(rec.bufs) != len(frames) {
				t.Fatalf("%d buffers given back for %d frames", len(rec.bufs), len(frames))
			}
			for i, b := range rec.bufs {
				if &b[:1][0] != &frames[i].Data[:1][0] {
					t.Fatalf("buffer %d given back is not frame %d's", i, i)
				}
				for j := range b[:cap(b)] {
					b[:cap(b)][j] = 'x' // as the next frame read into it would
				}
			}
			var ids []string
			for _, tr := range got {
				ids = append(ids, tr.ID)
				if tr.MarketName == "" || bytes.Contains([]byte(tr.MarketName+tr.ID), []byte("xxxx")) {
					t.Errorf("trade %+v changed with its frame's buffer", tr)
				}
			}
			if !slices.Equal(ids, want) {
				t.Errorf("trades %v, want %v", ids, want)
			}
		})
	}
}

// testTap is a connection's tap that keeps every frame it is shown.
type testTap struct {
	mu     sync.Mutex
	frames []messages.Frame
}

func (tt *testTap) Frame(f messages.Frame) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	tt.frames = append(tt.frames, f)
}
func (*testTap) SessionStarted(uint64, time.Time, string) {}
func (*testTap) SessionEnded(uint64, time.Time, string)   {}

// A frame comes with its connection's pool to give its buffer back to,
// unless the connection has a tap (the recorder's), which keeps the frame:
// then the buffer is never read into again.
func TestConnFramesGoBackToThePoolUnlessTapped(t *testing.T) {
	for _, tapped := range []bool{false, true} {
		t.Run(fmt.Sprintf("tapped=%t", tapped), func(t *testing.T) {
			tap := new(testTap)
			h := connStart(t, fakeroll.Options{}, func(c *ConnConfig) {
				if tapped {
					c.Tap = tap
				}
			})
			h.waitSubscribed(t, 1)
			h.srv.Publish(h.srv.NewTrade())
			f := h.frame(t)
			if got := f.Recycler != nil; got == tapped {
				t.Errorf("the frame has a Recycler: %t, with a tap: %t", got, tapped)
			}
			tap.mu.Lock()
			defer tap.mu.Unlock()
			if tapped && (len(tap.frames) != 1 || &tap.frames[0].Data[0] != &f.Data[0]) {
				t.Errorf("the tap was shown %d frames, want the one handed on", len(tap.frames))
			}
		})
	}
}
