// Package dedup is the decision at the heart of A/B feed arbitration: given
// a trade's id as it arrives on one of several connections, is it the first
// copy (deliver it) or a later one (drop it, and say how much earlier the
// first copy came)?
//
// A Window remembers the ids of recent trades in a fixed-size ring and an
// open-addressing hash table built once: Arrive is a constant-time lookup
// that never allocates, and the memory is fixed by the capacity, however long
// the program runs. An id is forgotten when Capacity newer ids have arrived
// or MaxAge has passed since it did, whichever comes first. Seen looks
// without recording; a first copy can carry a small tag (ArriveTagged,
// TagLast) that later copies return. An id may be any bytes: one longer than
// a trade id (a whole frame, say) is told apart by its 64-bit hash alone.
//
// It is plain code: it starts no goroutine, reads no clock (the caller passes
// the arrival time) and is not safe for concurrent use; one actor owns it.
package dedup

import (
	"hash/maphash"
	"time"
)

// maxID is the longest id kept whole, to tell two ids apart by their bytes.
// A longer id (the feed's are about 20 bytes) is told apart by its 64-bit
// hash alone.
const maxID = 40

// The window sniper arbitrates its lines with. The real feed lists about a
// trade a second, in bursts of thousands a second; two live lines carry the
// same trade milliseconds apart.
//
// DefaultMaxAge is the bound that binds at the usual rate: an id is
// remembered for two minutes (about 120 ids), tens of thousands of times the
// lag between live lines. A copy later than that would be taken for a new
// trade: that needs one line to deliver a trade two minutes after the other
// did, which no live connection does (the feed has no resume: a line that
// reconnects gets only new trades). It matches the NATS stream's duplicate
// window.
//
// DefaultCapacity binds in a burst: only when more than 65,536 trades arrive
// within two minutes (546 a second on average) does an id go before its age.
// Even then it is remembered for 65,536 newer trades: 13 s at 5,000 trades a
// second, 0.65 s at feedbench's 100,000, still hundreds of times the lag
// between lines. It bounds the memory: 64 bytes an id plus its table slots,
// about 5 MiB, allocated once.
const (
	DefaultCapacity = 1 << 16
	DefaultMaxAge   = 2 * time.Minute
)

// Arrival is the first copy of a trade: which connection brought it and when,
// and the tag the caller kept with it (see ArriveTagged).
type Arrival struct {
	Conn int
	At   time.Time
	Tag  uint32
}

// Window is the set of recently seen trade ids.
type Window struct {
	maxAge time.Duration
	seed   maphash.Seed

	// ring holds the entries in arrival order: the oldest at head, n of them.
	ring    []entry
	head, n int
	// table maps a hash to a ring position plus one (0: empty), by linear
	// probing; it is at least twice the ring's size, so probes stay short.
	// Each slot keeps the low half of its entry's hash too, so that probing
	// and the shifts of a removal read the table alone, not the ring: a
	// window larger than the processor's caches then costs one miss a
	// lookup, not one a slot probed.
	table []slot
	mask  uint64
}

// slot is a table slot: a ring position plus one (0: empty) and the low half
// of that entry's hash, which holds its home slot (the table has at most
// 1<<25 slots).
type slot struct {
	pos int32
	lo  uint32
}

type entry struct {
	hash  uint64
	at    int64 // Unix nanoseconds
	tag   uint32
	conn  uint8
	idLen uint8 // 0 when the id was longer than maxID: only its hash counts
	id    [maxID]byte
}

// New returns a window that remembers up to capacity ids, each for at most
// maxAge. It panics if capacity is not positive or above 1<<24.
func New(capacity int, maxAge time.Duration) *Window {
	if capacity <= 0 || capacity > 1<<24 {
		panic("dedup: capacity out of range")
	}
	size := 1
	for size < 2*capacity {
		size <<= 1
	}
	return &Window{
		maxAge: maxAge,
		seed:   maphash.MakeSeed(),
		ring:   make([]entry, capacity),
		table:  make([]slot, size),
		mask:   uint64(size - 1),
	}
}

// Len returns how many ids the window remembers now.
func (w *Window) Len() int { return w.n }

// Arrive records that the trade id arrived on connection conn at now. For
// the first copy it returns dup false; for a later copy, dup true and the
// first copy's arrival, which stays the first (a later copy is not recorded).
// Ids older than the window (see the package comment) are forgotten first, so
// a copy that comes after its id was forgotten counts as a first copy.
func (w *Window) Arrive(id []byte, conn int, now time.Time) (dup bool, first Arrival) {
	return w.ArriveTagged(id, conn, now, 0)
}

// ArriveTagged is Arrive keeping tag with a first copy, a small value of the
// caller's that later copies return in first.Tag (sniper: how many trades a
// whole frame held, when the id is the frame's bytes).
func (w *Window) ArriveTagged(id []byte, conn int, now time.Time, tag uint32) (dup bool, first Arrival) {
	at := now.UnixNano()
	w.expire(at)
	h := maphash.Bytes(w.seed, id)
	pos, e := w.find(h, id)
	if e != nil {
		return true, e.arrival()
	}
	if w.n == len(w.ring) {
		// Full: the oldest id makes room, and the table shifts, so look for
		// the new id's empty slot again.
		w.dropOldest()
		for pos = h & w.mask; w.table[pos].pos != 0; pos = (pos + 1) & w.mask {
		}
	}
	w.insert(pos, h, id, conn, at, tag)
	return false, Arrival{}
}

// TagLast sets the tag of the id the window recorded last: a caller that
// learns its tag only after Arrive said the id was new (sniper: how many
// trades a new frame held, once decoded) keeps it this way without a second
// lookup. It does nothing to an empty window.
func (w *Window) TagLast(tag uint32) {
	if w.n > 0 {
		w.ring[(w.head+w.n-1)%len(w.ring)].tag = tag
	}
}

// Seen reports whether id is in the window at now, and its first copy's
// arrival, recording nothing: a copy is recognised without being counted
// as an arrival. Ids older than the window are forgotten first, as by
// Arrive.
func (w *Window) Seen(id []byte, now time.Time) (seen bool, first Arrival) {
	w.expire(now.UnixNano())
	if _, e := w.find(maphash.Bytes(w.seed, id), id); e != nil {
		return true, e.arrival()
	}
	return false, Arrival{}
}

// find returns the entry of id, whose hash is h, or nil and the empty table
// slot where the probe for it ended.
func (w *Window) find(h uint64, id []byte) (uint64, *entry) {
	for pos := h & w.mask; ; pos = (pos + 1) & w.mask {
		v := w.table[pos]
		if v.pos == 0 {
			return pos, nil
		}
		if v.lo != uint32(h) {
			continue
		}
		if e := &w.ring[v.pos-1]; e.hash == h && e.same(id) {
			return pos, e
		}
	}
}

// arrival is the first copy e records.
func (e *entry) arrival() Arrival {
	return Arrival{Conn: int(e.conn), At: time.Unix(0, e.at), Tag: e.tag}
}

// same reports whether e's id is id, as far as e kept it.
func (e *entry) same(id []byte) bool {
	if e.idLen == 0 {
		return len(id) > maxID // both too long to keep: the hashes decided
	}
	return string(e.id[:e.idLen]) == string(id)
}

// expire forgets the ids older than maxAge at at, oldest first.
func (w *Window) expire(at int64) {
	for w.n > 0 && w.maxAge > 0 && at-w.ring[w.head].at >= int64(w.maxAge) {
		w.dropOldest()
	}
}

// dropOldest forgets the oldest id.
func (w *Window) dropOldest() {
	w.remove(w.head)
	w.head = (w.head + 1) % len(w.ring)
	w.n--
}

// insert adds an entry at the ring's tail and points the empty table slot pos
// at it.
func (w *Window) insert(pos, h uint64, id []byte, conn int, at int64, tag uint32) {
	r := (w.head + w.n) % len(w.ring)
	e := &w.ring[r]
	*e = entry{hash: h, at: at, tag: tag, conn: uint8(conn)}
	if len(id) <= maxID {
		e.idLen = uint8(copy(e.id[:], id)) // 0 for an empty id, which never matches
	}
	w.table[pos] = slot{pos: int32(r + 1), lo: uint32(h)}
	w.n++
}

// remove deletes ring entry r from the table, shifting back the entries
// probed past it so that every lookup still finds its entry.
func (w *Window) remove(r int) {
	pos := w.ring[r].hash & w.mask
	for w.table[pos].pos != int32(r+1) {
		pos = (pos + 1) & w.mask
	}
	// Backward-shift deletion for linear probing.
	hole := pos
	for next := (hole + 1) & w.mask; w.table[next].pos != 0; next = (next + 1) & w.mask {
		home := uint64(w.table[next].lo) & w.mask
		// The entry at next may move into the hole unless its home lies
		// cyclically in (hole, next].
		if (next-home)&w.mask >= (next-hole)&w.mask {
			w.table[hole] = w.table[next]
			hole = next
		}
	}
	w.table[hole] = slot{}
}
