package output

import "sync"

// BatchSize is how much a buffer holds before its writer should write without
// being asked: about a hundred JSON trade records, well under a pipe's 64 KiB,
// so a burst costs a write every hundred records while a quiet feed is
// written record by record, as each is flushed.
const BatchSize = 32 << 10

// Buffer holds whole records waiting to be written, up to a limit in bytes.
// Records come from several streams (the trade records, the match records);
// each stream's dropped records are counted apart. All methods are safe for
// concurrent use.
type Buffer struct {
	mu       sync.Mutex
	buf      []byte
	limit    int
	dropped  []uint64 // by stream
	appended uint64   // bytes ever kept
}

// NewBuffer returns a buffer that holds up to limit bytes of records from
// streams streams.
func NewBuffer(limit, streams int) *Buffer {
	return &Buffer{limit: limit, dropped: make([]uint64, streams)}
}

// Append keeps a copy of p whole, unless it does not fit beside what is
// buffered: then p is dropped and counted against stream. It returns whether
// p was kept, how many bytes are now buffered, and how many bytes have been
// kept in all (p included), a mark that Written can be compared to.
func (b *Buffer) Append(stream int, p []byte) (kept bool, buffered int, mark uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf)+len(p) > b.limit {
		b.dropped[stream]++
		return false, len(b.buf), b.appended
	}
	b.buf = append(b.buf, p...)
	b.appended += uint64(len(p))
	return true, len(b.buf), b.appended
}

// Take returns everything buffered and empties the buffer. spare, emptied,
// becomes the buffer's storage, so that a writer alternating two slices
// allocates nothing once both have grown.
func (b *Buffer) Take(spare []byte) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.buf
	b.buf = spare[:0]
	return out
}

// Len returns how many bytes wait to be taken.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.buf)
}

// Appended returns how many bytes have been kept in all.
func (b *Buffer) Appended() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.appended
}

// Dropped returns how many records of stream were dropped.
func (b *Buffer) Dropped(stream int) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped[stream]
}
