package actors

// This file holds the connection actors' free frame buffers.

import (
	"sync"
	"sync/atomic"
)

// framePoolSize is how many free buffers a framePool keeps: enough that one
// of about the right size is usually there for a feed whose frames vary in
// size, few enough that they cost little memory.
const framePoolSize = 8

// maxPooledFrame is the largest buffer a framePool keeps: the feed's frames
// are a few KiB, and a rare large one's buffer is better let go.
const maxPooledFrame = 64 << 10

// framePool holds the buffers of frames that everyone is done with
// (messages.Frame.Release), for the connection actors of one queue to read
// their next frames into. Without it every frame is read into new memory: a
// few KiB a trade for the garbage collector, and, while the heap grows to
// its goal after the start (a minute at 100 trades a second, an hour at the
// real feed's one a second), a page fault for every 4 KiB, since every new
// page of the heap is touched for the first time.
//
// It is safe for concurrent use: the readers take, the parser and the
// readers give back.
type framePool struct {
	mu   sync.Mutex
	free [framePoolSize]*frameBuf // free[:n]
	n    int
	turn int // the slot a buffer given back to a full pool takes
}

// frameBuf is a buffer a reader reads frames into, and the messages.Recycler
// of the frame it hands on in it: the frame's holders each Release it once,
// and the last gives the buffer back to its pool.
type frameBuf struct {
	pool *framePool
	data []byte       // the storage, empty, while free or being read into
	refs atomic.Int32 // the frame's holders that have yet to Release it
}

// newFrameBuf returns a buffer of p's with room for n bytes.
func (p *framePool) newFrameBuf(n int) *frameBuf {
	return &frameBuf{pool: p, data: make([]byte, 0, n)}
}

// hold hands b on with a frame that holders will Release.
func (b *frameBuf) hold(holders int32) { b.refs.Store(holders) }

// Recycle is one holder's Release of the frame in b, whose bytes are data:
// the last one gives b back to its pool, with data's storage (the buffer
// the frame was read into, or the larger one a read grew it into).
func (b *frameBuf) Recycle(data []byte) {
	if b.refs.Add(-1) == 0 {
		b.data = data[:0]
		b.pool.put(b)
	}
}

// put keeps b for a later get, unless it is larger than maxPooledFrame. When
// the pool is full it takes the place of one there, each slot in turn: the
// pool follows the sizes of the feed's frames, and buffers that no longer
// fit any frame do not stay for ever.
func (p *framePool) put(b *frameBuf) {
	if c := cap(b.data); c == 0 || c > maxPooledFrame {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n < len(p.free) {
		p.free[p.n] = b
		p.n++
		return
	}
	p.free[p.turn] = b
	p.turn = (p.turn + 1) % len(p.free)
}

// get returns the smallest free buffer whose capacity is at least lo and at
// most hi, empty, and takes it out of the pool; nil when there is none.
func (p *framePool) get(lo, hi int) *frameBuf {
	p.mu.Lock()
	defer p.mu.Unlock()
	best := -1
	for i := range p.n {
		if c := cap(p.free[i].data); c >= lo && c <= hi && (best < 0 || c < cap(p.free[best].data)) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	b := p.free[best]
	p.n--
	p.free[best], p.free[p.n] = p.free[p.n], nil
	return b
}
