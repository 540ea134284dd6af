package fakeroll

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/journal"
)

// JournalOptions configure WriteJournal. Start and Duration are required.
type JournalOptions struct {
	// Start is the receive time of the journal's beginning.
	Start time.Time
	// Duration is how much feed to write.
	Duration time.Duration
	// Seed seeds the trades and their timing: the same options write the
	// same journal.
	Seed uint64
	// Rate is the mean number of listings a second over a day. Default
	// DefaultJournalRate.
	Rate float64
	// MalformedEvery: about one frame in this many carries a trade the
	// parser must reject (a null itemVariant or null tradeItems, as the real
	// feed is reported to send). Default DefaultMalformedEvery; negative:
	// none.
	MalformedEvery int
	// SessionEvery is how long a connection session lasts on average
	// before the connection drops and reconnects, losing 1 to 5 s of feed.
	// Default DefaultSessionEvery.
	SessionEvery time.Duration
}

// Defaults of JournalOptions.
const (
	// DefaultJournalRate is about 95,000 listings a day. The public capture
	// had 559 in 9 min 9 s (1.02 a second); a day of the real feed is about
	// 100,000.
	DefaultJournalRate = 1.1
	// DefaultMalformedEvery makes about twenty malformed frames a day: enough
	// that a replay shows it skips them, too few to change any total.
	DefaultMalformedEvery = 5000
	// DefaultSessionEvery makes a reconnect or three a day.
	DefaultSessionEvery = 8 * time.Hour
)

// The timing of the synthetic feed: a day's cycle around the mean rate, and
// bursts, each one seller listing a batch of items within a few seconds.
const (
	// dayAmplitude is how far the rate swings around its mean: from 0.6 of
	// it at 08:00 UTC to 1.4 at 20:00 UTC, the European evening.
	dayAmplitude = 0.4
	peakHour     = 20
	// A burst every burstEvery on average, of 5 to 40 listings over up to
	// burstSpan, in frames of 1 to 4 trades.
	burstEvery = 5 * time.Minute
	burstSpan  = 8 * time.Second
)

// journalSubscriptionID is the operation id the sniper subscribes with: the
// server puts it in every next frame it sends the sniper.
const journalSubscriptionID = "1"

// JournalStats counts what WriteJournal wrote.
type JournalStats struct {
	// Frames is how many frame records (next messages) were written.
	Frames int
	// Trades is how many well-formed trades the frames carry.
	Trades int
	// Malformed is how many frames carry a trade the parser must reject;
	// each carries only that trade.
	Malformed int
	// Sessions is how many connection sessions the journal holds.
	Sessions int
	// First and Last are the receive times of the first and last frames.
	First, Last time.Time
}

// WriteJournal writes opts.Duration of synthetic feed to w, as the recorder
// would have journaled it from the fake feed: createTrades next frames on
// connection 1, in the field selection the sniper subscribes with, each
// stamped with a receive time a little after its trades were created, and a
// session-start and session-end record around each session. Times run from
// opts.Start; w is flushed once a second of feed time, as a recorder does.
// It does not close w.
func WriteJournal(w *journal.Writer, opts JournalOptions) (JournalStats, error) {
	if opts.Duration <= 0 || opts.Start.IsZero() {
		return JournalStats{}, fmt.Errorf("fakeroll: a journal needs a start and a positive duration (got %v and %v)", opts.Start, opts.Duration)
	}
	if opts.Rate <= 0 {
		opts.Rate = DefaultJournalRate
	}
	if opts.MalformedEvery == 0 {
		opts.MalformedEvery = DefaultMalformedEvery
	}
	if opts.SessionEvery <= 0 {
		opts.SessionEvery = DefaultSessionEvery
	}
	j := &journalWriter{
		w:    w,
		opts: opts,
		gen:  NewGenerator(opts.Seed),
		rng:  rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x6a09e667f3bcc908)),
		conn: 1,
	}
	err := j.run()
	return j.stats, err
}

// journalWriter is one WriteJournal's state.
type journalWriter struct {
	w     *journal.Writer
	opts  JournalOptions
	gen   *Generator
	rng   *rand.Rand
	stats JournalStats

	conn         uint8
	session      uint64
	sessionStart time.Time
	frame        []byte
	batch        []Trade
	pending      bool // records appended since the last flush
}

// arrival is a frame the feed sends at a time, with n trades.
type arrival struct {
	at time.Time
	n  int
}

func (j *journalWriter) run() error {
	start := j.opts.Start.UTC()
	end := start.Add(j.opts.Duration)
	// The background's mean rate: the rate less the bursts' share.
	burstRate := 22.5 / burstEvery.Seconds() // listings a second from bursts
	base := max(j.opts.Rate-burstRate, j.opts.Rate/2)

	sessionEnd := start.Add(j.exp(j.opts.SessionEvery))
	if err := j.startSession(start); err != nil {
		return err
	}
	nextBurst := start.Add(j.exp(burstEvery))
	var queue []arrival // frames to come, in time order after each sort
	for sec := start; sec.Before(end); sec = sec.Add(time.Second) {
		next := sec.Add(time.Second)
		// The background: Poisson arrivals at this hour's rate, one trade a
		// frame.
		for range j.poisson(base * j.dayFactor(sec)) {
			queue = append(queue, arrival{at: sec.Add(j.within(time.Second)), n: 1})
		}
		// A burst that starts this second, spread over the next few.
		for nextBurst.Before(next) {
			at := nextBurst
			for left := 5 + j.rng.IntN(36); left > 0; {
				n := min(left, 1+j.rng.IntN(4))
				left -= n
				at = at.Add(j.within(burstSpan / 8))
				queue = append(queue, arrival{at: at, n: n})
			}
			nextBurst = nextBurst.Add(j.exp(burstEvery))
		}
		sortArrivals(queue)
		sent := 0
		for _, a := range queue {
			if !a.at.Before(next) || !a.at.Before(end) {
				break
			}
			sent++
			if !a.at.Before(sessionEnd) {
				// The connection drops; what the feed sends until the
				// next session starts is lost.
				resume := sessionEnd.Add(time.Second + j.within(4*time.Second))
				if err := j.endSession(sessionEnd); err != nil {
					return err
				}
				if !resume.Before(end) {
					return nil
				}
				if err := j.startSession(resume); err != nil {
					return err
				}
				sessionEnd = resume.Add(j.exp(j.opts.SessionEvery))
			}
			if a.at.Before(j.sessionStart) {
				continue
			}
			if err := j.writeFrame(a); err != nil {
				return err
			}
		}
		queue = append(queue[:0], queue[sent:]...)
		if j.pending {
			if err := j.w.Flush(); err != nil {
				return err
			}
			j.pending = false
		}
	}
	// The window is [start, end): the session ends in it, not at end, which
	// may be the next day's first instant.
	return j.endSession(end.Add(-time.Nanosecond))
}

// writeFrame appends the frame of arrival a: n new trades (or one malformed
// one), created a little before it was received.
func (j *journalWriter) writeFrame(a arrival) error {
	received := a.at
	created := received.Add(-20*time.Millisecond - j.within(130*time.Millisecond))
	j.batch = j.batch[:0]
	malformed := j.opts.MalformedEvery > 0 && j.rng.IntN(j.opts.MalformedEvery) == 0
	if malformed {
		t := j.gen.Next(created)
		if j.rng.IntN(2) == 0 {
			t.TradeItems[0].ItemVariant = nil
		} else {
			t.TradeItems = nil
		}
		j.batch = append(j.batch, t)
	} else {
		for range a.n {
			j.batch = append(j.batch, j.gen.Next(created))
		}
	}
	f := appendNextHead(j.frame[:0], journalSubscriptionID, gqlws.SubCreateTrades)
	for i := range j.batch {
		if i > 0 {
			f = append(f, ',')
		}
		f = appendTrade(f, &j.batch[i], true)
	}
	j.frame = appendNextTail(f, gqlws.SubCreateTrades)
	if err := j.append(journal.KindFrame, received, j.frame); err != nil {
		return err
	}
	if malformed {
		j.stats.Malformed++
	} else {
		j.stats.Trades += len(j.batch)
	}
	if j.stats.Frames == 0 {
		j.stats.First = received
	}
	j.stats.Frames++
	j.stats.Last = received
	return nil
}

func (j *journalWriter) startSession(at time.Time) error {
	j.session++
	j.stats.Sessions++
	j.sessionStart = at
	return j.append(journal.KindSessionStart, at, []byte(gqlws.SubCreateTrades))
}

func (j *journalWriter) endSession(at time.Time) error {
	return j.append(journal.KindSessionEnd, at, []byte("the connection was dropped (synthetic)"))
}

func (j *journalWriter) append(kind journal.Kind, at time.Time, data []byte) error {
	_, err := j.w.Append(journal.Record{Kind: kind, Conn: j.conn, Session: j.session, Time: at, Data: data})
	j.pending = true
	return err
}

// dayFactor is the rate at time t relative to the day's mean.
func (j *journalWriter) dayFactor(t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	return 1 + dayAmplitude*math.Cos(2*math.Pi*(h-peakHour)/24)
}

// poisson draws a Poisson count of mean lambda (small: Knuth's method).
func (j *journalWriter) poisson(lambda float64) int {
	limit, p, n := math.Exp(-lambda), j.rng.Float64(), 0
	for p > limit {
		n++
		p *= j.rng.Float64()
	}
	return n
}

// exp draws an exponential duration of mean d.
func (j *journalWriter) exp(d time.Duration) time.Duration {
	return time.Duration(j.rng.ExpFloat64() * float64(d))
}

// within draws a duration in [0, d).
func (j *journalWriter) within(d time.Duration) time.Duration {
	return time.Duration(j.rng.Int64N(int64(d)))
}

// sortArrivals sorts arrivals by time; stable, and quick on a queue that is
// mostly in order already.
func sortArrivals(q []arrival) {
	for i := 1; i < len(q); i++ {
		for k := i; k > 0 && q[k].at.Before(q[k-1].at); k-- {
			q[k], q[k-1] = q[k-1], q[k]
		}
	}
}
