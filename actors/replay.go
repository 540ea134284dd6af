package actors

// This file is the replay source: it stands where the connection actors
// stand, and hands the parser the frames of a journal, in the journal's
// order, with the receive times they were recorded with.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/messages"
)

// ReplayConfig configures a Replay.
type ReplayConfig struct {
	// Reader is the journal to replay. Required. Run closes it.
	Reader *journal.Reader
	// Speed is how fast to replay: 1 keeps the recorded timing, 10 is ten
	// times as fast, 0 (or less) as fast as the parser takes the frames.
	Speed float64
	// From and To, when set, keep only the records received in [From, To).
	From, To time.Time
	// Log is where the replay logs what it meets in the journal (damage,
	// frames the recorder lost, the sessions); nil discards.
	Log *slog.Logger
}

// replaySlab is the size of the blocks frames are copied into: one
// allocation for some hundreds of frames rather than one each.
const replaySlab = 1 << 20

// Replay is the replay source: it reads a journal and sends each recorded
// frame on Out as the connection actor sent it when it was read off the
// socket (Data as received, ReceivedAt the recorded receive time, Session the
// recorded session), so that the parser and the sinks behind it decide as
// they did live. Records of other kinds are logged, not sent: the sessions'
// starts and ends at debug level, the frames the recorder lost and the parts
// of the journal that are damaged (a torn tail after a crash) at warn level.
// Damage never stops a replay.
type Replay struct {
	cfg ReplayConfig
	log *slog.Logger
	out chan messages.Frame

	frames   atomic.Uint64
	lost     atomic.Uint64
	sessions atomic.Uint64
	first    atomic.Int64 // Unix nanoseconds of the first frame sent; 0 before it
	last     atomic.Int64
	damage   atomic.Pointer[[]journal.Damage]

	slab []byte // Run's own: the block the next frame's data is copied into
}

// ReplayStats is what a Replay has sent and met so far.
type ReplayStats struct {
	// Frames counts the frames sent on Out.
	Frames uint64
	// Lost counts the frames the recorder said it lost (KindDropped).
	Lost uint64
	// Sessions counts the session starts met.
	Sessions uint64
	// First and Last are the receive times of the first and last frames
	// sent; zero before the first.
	First, Last time.Time
	// Damage is what of the journal could not be read, one entry a
	// damaged segment.
	Damage []journal.Damage
}

// NewReplay returns a replay of cfg.Reader. It starts nothing: call Run. It
// panics without a Reader.
func NewReplay(cfg ReplayConfig) *Replay {
	if cfg.Reader == nil {
		panic("actors: NewReplay: ReplayConfig.Reader is nil")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Replay{cfg: cfg, log: cfg.Log, out: make(chan messages.Frame, frameQueue(DefaultReadLimit))}
}

// Out carries the journal's frames, in its order. Run closes it when it
// returns.
func (r *Replay) Out() <-chan messages.Frame { return r.out }

// Stats returns what the replay has sent and met. It is safe to call while
// Run runs.
func (r *Replay) Stats() ReplayStats {
	s := ReplayStats{
		Frames:   r.frames.Load(),
		Lost:     r.lost.Load(),
		Sessions: r.sessions.Load(),
		First:    unixNanoTime(r.first.Load()),
		Last:     unixNanoTime(r.last.Load()),
	}
	if d := r.damage.Load(); d != nil {
		s.Damage = *d
	}
	return s
}

// Run sends the journal's frames on Out until the journal ends (nil) or ctx
// ends (nil: a replay stopped early, like a connection shut down), or a file
// cannot be read (that error). At a speed, each frame is sent when as much
// time has passed since the first as passed between them when they were
// recorded, divided by the speed. It closes Out and the journal's reader when
// it returns.
func (r *Replay) Run(ctx context.Context) error {
	defer close(r.out)
	defer r.cfg.Reader.Close()
	var startWall, startRec time.Time
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	seen := 0 // damage entries logged
	for {
		rec, err := r.cfg.Reader.Next()
		r.noteDamage(ctx, &seen)
		if errors.Is(err, io.EOF) {
			r.log.InfoContext(ctx, "replay finished", slog.Uint64("frames", r.frames.Load()), slog.Uint64("sessions", r.sessions.Load()))
			return nil
		}
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		if !r.cfg.From.IsZero() && rec.Time.Before(r.cfg.From) || !r.cfg.To.IsZero() && !rec.Time.Before(r.cfg.To) {
			continue
		}
		switch rec.Kind {
		case journal.KindFrame:
		case journal.KindSessionStart:
			r.sessions.Add(1)
			r.log.DebugContext(ctx, "recorded session started", slog.Int("conn", int(rec.Conn)), slog.Uint64("session", rec.Session),
				slog.Time("at", rec.Time), slog.String("note", string(rec.Data)))
			continue
		case journal.KindSessionEnd:
			r.log.DebugContext(ctx, "recorded session ended", slog.Int("conn", int(rec.Conn)), slog.Uint64("session", rec.Session),
				slog.Time("at", rec.Time), slog.String("why", string(rec.Data)))
			continue
		case journal.KindDropped:
			if n, ok := rec.Dropped(); ok {
				r.lost.Add(n)
				r.log.WarnContext(ctx, "the recording lost frames here (the recorder's queue was full)",
					slog.Uint64("frames", n), slog.Time("at", rec.Time))
			}
			continue
		default:
			continue // a kind of a later writer
		}
		if r.cfg.Speed > 0 {
			if startWall.IsZero() {
				startWall, startRec = time.Now(), rec.Time
			}
			due := startWall.Add(time.Duration(float64(rec.Time.Sub(startRec)) / r.cfg.Speed))
			if wait := time.Until(due); wait > 0 {
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				select {
				case <-ctx.Done():
					return nil
				case <-timer.C:
				}
			}
		}
		f := messages.Frame{Data: r.copyData(rec.Data), ReceivedAt: rec.Time, Session: rec.Session, Conn: int(rec.Conn)}
		select {
		case r.out <- f:
		case <-ctx.Done():
			return nil
		}
		r.frames.Add(1)
		r.first.CompareAndSwap(0, rec.Time.UnixNano())
		r.last.Store(rec.Time.UnixNano())
	}
}

// noteDamage logs the damage the reader met since the last call.
func (r *Replay) noteDamage(ctx context.Context, seen *int) {
	damage := r.cfg.Reader.Damage()
	if len(damage) == *seen {
		return
	}
	for _, d := range damage[*seen:] {
		r.log.WarnContext(ctx, "skipped a damaged part of the journal (a torn tail after a crash, or corruption)",
			slog.String("segment", d.Path), slog.Int64("bytes", d.Bytes), slog.Int64("offset", d.Offset),
			slog.Int64("records_before", d.Records), slog.String("reason", d.Reason))
	}
	*seen = len(damage)
	d := append([]journal.Damage(nil), damage...)
	r.damage.Store(&d)
}

// copyData copies b, which the reader reuses, into the slab: the frame owns
// its copy, and the slab is never written again where a frame points.
func (r *Replay) copyData(b []byte) []byte {
	if len(b) > replaySlab/4 {
		return append([]byte(nil), b...)
	}
	if len(b) > cap(r.slab)-len(r.slab) {
		r.slab = make([]byte, 0, replaySlab)
	}
	start := len(r.slab)
	r.slab = append(r.slab, b...)
	return r.slab[start:len(r.slab):len(r.slab)]
}
