package actors

// This file is the recorder: it journals every frame the connection actors
// hand to the parser, as received, with its receive time, connection and
// session, and the start and end of each session, so that the feed can be
// replayed through the same parser and sinks, or a whitelist backtested on
// it. The journal's format is internal/journal's.

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/messages"
)

// ConnTap watches what a connection actor reads, for the recorder
// (ConnConfig.Tap). The connection actor's goroutines call it; every method
// must return at once, never waiting on I/O or a full queue.
type ConnTap interface {
	// Frame is called by the socket reader with every frame it hands to
	// the parser, just before it does. f.Data is the parser's: the tap may
	// read it, and keep it, but never change it. (A tapped connection's
	// frames carry no Recycler, so their buffers are never read into again.)
	Frame(f messages.Frame)
	// SessionStarted is called when session n subscribes, before the
	// subscribe message is sent (so before the session's first frame),
	// with a note for people: the subscription.
	SessionStarted(n uint64, at time.Time, note string)
	// SessionEnded is called when session n has ended and its reader has
	// stopped (after its last frame), with why. It is called for sessions
	// that never subscribed too (a dial that failed), which a tap may
	// ignore.
	SessionEnded(n uint64, at time.Time, why string)
}

// Defaults of RecorderConfig.
const (
	// DefaultRecordQueue frames wait for the recorder at most: about a
	// second of the largest burst feedbench sends, hours of the real feed.
	DefaultRecordQueue = 8192
	// DefaultRecordQueueBytes bounds the bytes of the frames waiting, as the
	// frame queue to the parser is bounded.
	DefaultRecordQueueBytes = 64 << 20
	// DefaultBusyFrames is how many frames in a second make the feed busy:
	// the compactor waits while it is. The real feed carries about one a
	// second, a seller's burst a few dozen in a few seconds.
	DefaultBusyFrames = 200
	// DefaultRecordGather is short beside the sync every second, long
	// beside the tens of microseconds a wake-up costs: a burst of 40,000
	// frames a second is written some 80 at a time.
	DefaultRecordGather = 2 * time.Millisecond
)

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// Writer is the journal's writer, from journal.NewWriter with
	// Options.Store (the recorder stores, and hands each closed segment to
	// the compactor). Required. The recorder closes it when Run returns.
	Writer *journal.Writer
	// MaxBytes is the journal's largest size: after each rotation, and at
	// the start, the oldest segments are deleted until it fits
	// (journal.Prune). 0 or less: no limit.
	MaxBytes int64
	// Queue and QueueBytes bound the frames waiting to be written, in
	// number and in bytes: a frame that would pass either is dropped, and
	// counted. Default DefaultRecordQueue and DefaultRecordQueueBytes.
	Queue      int
	QueueBytes int64
	// SyncEvery is how often what was written is flushed and fsynced: a
	// crash or a power loss loses at most this much. Default 1 s.
	SyncEvery time.Duration
	// BusyFrames is how many frames in a second make the feed busy (see
	// Busy). Default DefaultBusyFrames.
	BusyFrames uint64
	// Gather is how long the recorder, woken by a frame, lets more gather
	// before it writes them all: a burst then costs a wake-up a batch, not
	// one a frame. Default DefaultRecordGather.
	Gather time.Duration
	// Log is where the recorder logs; nil discards.
	Log *slog.Logger
}

// recordEvent is one entry of the recorder's queue.
type recordEvent struct {
	kind    journal.Kind
	conn    uint8
	session uint64
	at      time.Time
	data    []byte
	// dropped is how many frames were dropped just before this one.
	dropped uint64
}

// closedQueue is how many closed segments wait in Closed; more wait in the
// recorder's own list.
const closedQueue = 64

// Recorder is the frame recorder: it writes what its taps (Tap) see into a
// journal, on its own goroutine, from a bounded queue. A tap never blocks:
// when the queue is full the frame is dropped and counted, and the next
// record that gets through is preceded in the journal by a KindDropped record
// saying how many were lost there. It syncs the journal every
// RecorderConfig.SyncEvery, rotates it by size and by UTC day, and prunes it
// to RecorderConfig.MaxBytes after each rotation.
//
// Each segment is written stored (uncompressed: a copy and a CRC a frame,
// so that a burst of the feed costs little CPU); when one is closed, the
// recorder hands its path to Closed, for the compactor to compress.
type Recorder struct {
	cfg    RecorderConfig
	w      *journal.Writer
	log    *slog.Logger
	q      chan recordEvent
	closed chan string

	queued   atomic.Int64  // bytes of the frames in q
	pending  atomic.Uint64 // frames dropped since the last one queued
	dropped  atomic.Uint64
	recorded atomic.Uint64 // frames written
	failed   atomic.Uint64 // records lost to write errors
	// thisSecond and lastSecond count the frames offered in the current
	// second of the sync ticker and the one before: Busy reads them.
	thisSecond atomic.Uint64
	lastSecond atomic.Uint64

	// Run's own: segments closed and not yet taken by Closed's reader,
	// whether anything was written since the last sync, and whether the
	// last write failed (a streak of failures is logged once).
	handOff []string
	dirty   bool
	failing bool
}

// RecorderStats is a snapshot of a Recorder's counters, which only grow.
type RecorderStats struct {
	// Recorded counts the frames written to the journal.
	Recorded uint64
	// Dropped counts the frames lost because the queue was full.
	Dropped uint64
	// Failed counts the records lost to write errors (a full disk, say).
	Failed uint64
	// Queued is how many frames wait in the queue now, of Capacity.
	Queued, Capacity int
}

// NewRecorder returns a recorder writing to cfg.Writer. It starts nothing:
// call Run. It panics without a Writer.
func NewRecorder(cfg RecorderConfig) *Recorder {
	if cfg.Writer == nil {
		panic("actors: NewRecorder: RecorderConfig.Writer is nil")
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultRecordQueue
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = DefaultRecordQueueBytes
	}
	if cfg.SyncEvery <= 0 {
		cfg.SyncEvery = time.Second
	}
	if cfg.BusyFrames == 0 {
		cfg.BusyFrames = DefaultBusyFrames
	}
	if cfg.Gather <= 0 {
		cfg.Gather = DefaultRecordGather
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{cfg: cfg, w: cfg.Writer, log: cfg.Log,
		q: make(chan recordEvent, cfg.Queue), closed: make(chan string, closedQueue)}
}

// Tap returns the tap for connection conn (numbered from 1), for
// ConnConfig.Tap; nil for a nil Recorder, so that a pipeline without one
// wires no tap.
func (r *Recorder) Tap(conn uint8) ConnTap {
	if r == nil {
		return nil
	}
	return &recorderTap{r: r, conn: conn}
}

// Closed carries the path of each stored segment the recorder has finished
// with, oldest first: at the start, those an earlier run left; then each one
// closed by a rotation, as soon as it is closed while fewer than 64 wait.
// (The last segment, closed when Run returns, is left for the next run, and
// so are those still waiting in the recorder when it returns.) Run closes it
// when it returns.
func (r *Recorder) Closed() <-chan string { return r.closed }

// Busy reports whether the feed is busy: more than BusyFrames frames were
// offered to the recorder in the current second or the one before.
func (r *Recorder) Busy() bool {
	return max(r.thisSecond.Load(), r.lastSecond.Load()) > r.cfg.BusyFrames
}

// Stats returns the recorder's counters. It is safe to call while Run runs.
func (r *Recorder) Stats() RecorderStats {
	return RecorderStats{
		Recorded: r.recorded.Load(),
		Dropped:  r.dropped.Load(),
		Failed:   r.failed.Load(),
		Queued:   len(r.q),
		Capacity: cap(r.q),
	}
}

// offer queues ev without blocking, or drops it.
func (r *Recorder) offer(ev recordEvent) {
	r.thisSecond.Add(1)
	size := int64(len(ev.data))
	if r.queued.Add(size) > r.cfg.QueueBytes {
		r.queued.Add(-size)
		r.pending.Add(1)
		r.dropped.Add(1)
		return
	}
	ev.dropped = r.pending.Swap(0)
	select {
	case r.q <- ev:
	default:
		r.queued.Add(-size)
		r.pending.Add(ev.dropped + 1)
		r.dropped.Add(1)
	}
}

// recorderTap is one connection's tap.
type recorderTap struct {
	r    *Recorder
	conn uint8
	// started is the last session whose start was offered: the end of
	// another (one that never subscribed) is not recorded.
	started atomic.Uint64
}

func (t *recorderTap) Frame(f messages.Frame) {
	t.r.offer(recordEvent{kind: journal.KindFrame, conn: t.conn, session: f.Session, at: f.ReceivedAt, data: f.Data})
}

func (t *recorderTap) SessionStarted(n uint64, at time.Time, note string) {
	t.started.Store(n)
	t.r.offer(recordEvent{kind: journal.KindSessionStart, conn: t.conn, session: n, at: at, data: []byte(note)})
}

func (t *recorderTap) SessionEnded(n uint64, at time.Time, why string) {
	if t.started.Load() != n {
		return
	}
	t.r.offer(recordEvent{kind: journal.KindSessionEnd, conn: t.conn, session: n, at: at, data: []byte(why)})
}

// sessionEndNote is why a session ended, for SessionEnded: err's words, or
// "shutdown" when ctx ended.
func sessionEndNote(ctx context.Context, err error) string {
	if ctx.Err() != nil || err == nil {
		return "shutdown"
	}
	return err.Error()
}

// Run writes what the taps queue until ctx ends, then writes what is still
// queued, closes the journal (its last segment synced and ended) and returns
// nil. Its ctx must end only once no tap is called any more: after the
// connection actors have returned. It closes Closed when it returns.
//
// At the start it deletes what an unfinished compaction left
// (journal.RemoveUnfinished), hands the stored segments an earlier run left
// to Closed, and prunes the journal to MaxBytes.
func (r *Recorder) Run(ctx context.Context) error {
	defer close(r.closed)
	r.start(ctx)
	tick := time.NewTicker(r.cfg.SyncEvery)
	defer tick.Stop()
	gather := time.NewTimer(r.cfg.Gather)
	gather.Stop()
	defer gather.Stop()
	for {
		var out chan<- string
		var next string
		if len(r.handOff) > 0 {
			out, next = r.closed, r.handOff[0]
		}
		select {
		case ev := <-r.q:
			r.write(ctx, ev)
			// Let the frames behind this one gather, then write them all:
			// the taps' sends wake no one meanwhile.
			gather.Reset(r.cfg.Gather)
			select {
			case <-gather.C:
			case <-ctx.Done():
				gather.Stop()
			}
			r.drain(ctx)
		case <-tick.C:
			r.lastSecond.Store(r.thisSecond.Swap(0))
			r.sync(ctx)
		case out <- next:
			r.handOff = r.handOff[1:]
		case <-ctx.Done():
			return r.stop(ctx)
		}
	}
}

// start cleans the journal's directory up before the first record.
func (r *Recorder) start(ctx context.Context) {
	dir := r.w.Dir()
	if err := journal.RemoveUnfinished(dir); err != nil {
		r.log.WarnContext(ctx, "cannot remove an unfinished compaction", tint.Err(err))
	}
	stored, err := journal.Stored(dir)
	if err != nil {
		r.log.WarnContext(ctx, "cannot list the journal's segments", tint.Err(err))
	}
	r.handOff = stored
	r.handOn()
	r.prune(ctx)
}

// handOn puts the closed segments waiting in handOff into Closed's buffer,
// as many as it takes without waiting.
func (r *Recorder) handOn() {
	for len(r.handOff) > 0 {
		select {
		case r.closed <- r.handOff[0]:
			r.handOff = r.handOff[1:]
		default:
			return
		}
	}
}

// write appends ev, and before it a KindDropped record if frames were lost
// just before it.
func (r *Recorder) write(ctx context.Context, ev recordEvent) {
	r.queued.Add(-int64(len(ev.data)))
	if ev.dropped > 0 {
		r.log.LogAttrs(ctx, slog.LevelWarn, "recorder queue full: frames were not recorded",
			slog.Uint64("dropped", ev.dropped), slog.Uint64("dropped_total", r.dropped.Load()), slog.Int("capacity", cap(r.q)))
		r.append(ctx, journal.DroppedRecord(ev.at, ev.dropped))
	}
	if r.append(ctx, journal.Record{Kind: ev.kind, Conn: ev.conn, Session: ev.session, Time: ev.at, Data: ev.data}) && ev.kind == journal.KindFrame {
		r.recorded.Add(1)
	}
}

// append appends rec, and after a rotation hands the closed segment on and
// prunes. It reports whether rec was written.
func (r *Recorder) append(ctx context.Context, rec journal.Record) bool {
	prev := r.w.Segment()
	rotated, err := r.w.Append(rec)
	if err != nil {
		r.fail(ctx, err)
		return false
	}
	r.dirty = true
	if r.failing {
		r.failing = false
		r.log.InfoContext(ctx, "recording again", slog.String("segment", r.w.Segment()))
	}
	if rotated {
		if prev != "" {
			r.handOff = append(r.handOff, prev)
			r.handOn()
		}
		r.prune(ctx)
	}
	return true
}

// sync makes what was written since the last sync durable.
func (r *Recorder) sync(ctx context.Context) {
	if !r.dirty {
		return
	}
	r.dirty = false
	if err := r.w.Sync(); err != nil {
		r.fail(ctx, err)
	}
}

// prune deletes the oldest segments past MaxBytes.
func (r *Recorder) prune(ctx context.Context) {
	removed, err := r.w.Prune(r.cfg.MaxBytes)
	if len(removed) > 0 {
		r.log.InfoContext(ctx, "deleted the oldest journal segments to keep under -record-max",
			slog.Int("segments", len(removed)), slog.String("last_deleted", removed[len(removed)-1]))
	}
	if err != nil {
		r.log.WarnContext(ctx, "cannot delete old journal segments", tint.Err(err))
	}
}

// fail counts a failed write and logs the first of a streak.
func (r *Recorder) fail(ctx context.Context, err error) {
	r.failed.Add(1)
	if !r.failing {
		r.failing = true
		r.log.ErrorContext(ctx, "cannot record: the records until it works again are lost", tint.Err(err))
	}
}

// drain writes what is queued, without waiting for more.
func (r *Recorder) drain(ctx context.Context) {
	for {
		select {
		case ev := <-r.q:
			r.write(ctx, ev)
		default:
			return
		}
	}
}

// stop writes what is queued, notes the drops no record followed, and
// closes the journal.
func (r *Recorder) stop(ctx context.Context) error {
	r.drain(ctx)
	if n := r.pending.Swap(0); n > 0 {
		r.append(ctx, journal.DroppedRecord(time.Now(), n))
	}
	if err := r.w.Close(); err != nil && !errors.Is(err, journal.ErrClosed) {
		r.fail(ctx, err)
	}
	return nil
}
