package actors

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/whitelist"
)

// WhitelistReloader is the actor that reloads the whitelist file into a
// Whitelist sink: on a signal from HUP (main forwards SIGHUP there) and when
// the file changes. It polls the file's identity, size and modification time
// on every tick, and reads and hashes it only when one of them changed, so an
// editor's rename over the file, a write in place and a touch are all noticed,
// and a touch alone does not reload.
//
// A good file replaces the list atomically and logs "whitelist reloaded"; a
// broken or missing file keeps the previous list running and logs a warning
// with every problem, once for each version of the file (a missing file once
// until it returns). The list's own warnings (names the item catalogue could
// not check) are logged when Run starts, for the list loaded then, and after
// each reload, for the new one.
type WhitelistReloader struct {
	path   string
	sink   *Whitelist
	hup    <-chan struct{}
	tick   <-chan time.Time
	period time.Duration
	log    *slog.Logger

	// Only Run touches these: what the last poll saw, the hash of the last
	// contents read, and whether the file was missing or unreadable.
	seen    os.FileInfo
	sum     [sha256.Size]byte
	missing bool
}

// WhitelistReloaderConfig configures a WhitelistReloader.
type WhitelistReloaderConfig struct {
	// Path is the whitelist file. Required.
	Path string
	// Sink is the whitelist sink whose list is replaced. Required.
	Sink *Whitelist
	// HUP triggers a reload on every receive; main forwards SIGHUP into it.
	// Nil for none.
	HUP <-chan struct{}
	// Tick triggers a poll of the file on every receive; nil makes Run use a
	// ticker of Period. Tests inject it.
	Tick <-chan time.Time
	// Period is how often to poll when Tick is nil; 0 means 2 s.
	Period time.Duration
	// Log is where reloads and failures are logged. Nil discards them.
	Log *slog.Logger
}

// DefaultWhitelistPoll is how often a WhitelistReloader polls its file unless
// told otherwise.
const DefaultWhitelistPoll = 2 * time.Second

// NewWhitelistReloader returns a reloader. It starts nothing; call Run. It
// panics if cfg.Path is empty or cfg.Sink is nil.
func NewWhitelistReloader(cfg WhitelistReloaderConfig) *WhitelistReloader {
	if cfg.Path == "" || cfg.Sink == nil {
		panic("actors: NewWhitelistReloader: Path and Sink are required")
	}
	r := &WhitelistReloader{path: cfg.Path, sink: cfg.Sink, hup: cfg.HUP, tick: cfg.Tick, period: cfg.Period, log: cfg.Log}
	if r.period <= 0 {
		r.period = DefaultWhitelistPoll
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// Run reloads on every signal from HUP and polls the file on every tick, until
// ctx ends; then it returns nil. The first poll compares the file with the
// contents the sink's current list was parsed from, so a change made between
// the first load and Run is not missed. A closed HUP is ignored from then on.
func (r *WhitelistReloader) Run(ctx context.Context) error {
	tick := r.tick
	if tick == nil {
		t := time.NewTicker(r.period)
		defer t.Stop()
		tick = t.C
	}
	hup := r.hup
	r.sum = r.sink.List().Sum()
	r.warnings(ctx, r.sink.List())
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-hup:
			if !ok {
				hup = nil
				continue
			}
			r.reload(ctx, "SIGHUP")
		case <-tick:
			r.poll(ctx)
		}
	}
}

// poll reloads the file if it changed since the last poll.
func (r *WhitelistReloader) poll(ctx context.Context) {
	info, err := os.Stat(r.path)
	if err != nil {
		r.unreadable(ctx, "file change", err)
		return
	}
	if r.seen != nil && os.SameFile(r.seen, info) && info.Size() == r.seen.Size() && info.ModTime().Equal(r.seen.ModTime()) {
		return
	}
	data, err := os.ReadFile(r.path)
	if err != nil {
		r.unreadable(ctx, "file change", err)
		return
	}
	r.seen, r.missing = info, false
	sum := sha256.Sum256(data)
	if sum == r.sum {
		return
	}
	r.apply(ctx, "file change", data, sum)
}

// reload reads and applies the file whatever its state: the user asked.
func (r *WhitelistReloader) reload(ctx context.Context, trigger string) {
	r.missing = false // a reload the user asked for always says how it went
	info, err := os.Stat(r.path)
	if err != nil {
		r.unreadable(ctx, trigger, err)
		return
	}
	data, err := os.ReadFile(r.path)
	if err != nil {
		r.unreadable(ctx, trigger, err)
		return
	}
	r.seen = info
	r.apply(ctx, trigger, data, sha256.Sum256(data))
}

// apply parses data and swaps it in, or says why not.
func (r *WhitelistReloader) apply(ctx context.Context, trigger string, data []byte, sum [sha256.Size]byte) {
	r.sum = sum
	l, err := whitelist.Parse(data)
	if err != nil {
		if ve, ok := errors.AsType[*whitelist.ValidationError](err); ok {
			ve.File = r.path
		}
		r.log.LogAttrs(ctx, slog.LevelWarn, "whitelist reload failed; keeping the previous whitelist",
			slog.String("trigger", trigger), slog.String("path", r.path), tint.Err(err))
		return
	}
	r.sink.Swap(l)
	r.log.LogAttrs(ctx, slog.LevelInfo, "whitelist reloaded",
		slog.String("trigger", trigger), slog.String("path", r.path), slog.Int("entries", l.Len()))
	r.warnings(ctx, l)
}

// warnings logs what l's file holds that works but is worth a look, each on
// its own line, as sniper check prints it.
func (r *WhitelistReloader) warnings(ctx context.Context, l *whitelist.List) {
	for _, w := range l.Warnings() {
		r.log.LogAttrs(ctx, slog.LevelWarn, "whitelist warning",
			slog.String("path", r.path), slog.String("at", w.Path), slog.String("warning", w.Msg))
	}
}

// unreadable warns that the file cannot be read, once until it can be again.
// The next poll that can read it compares its contents as if it were new.
func (r *WhitelistReloader) unreadable(ctx context.Context, trigger string, err error) {
	r.seen = nil
	if r.missing {
		return
	}
	r.missing = true
	r.log.LogAttrs(ctx, slog.LevelWarn, "whitelist reload failed; keeping the previous whitelist",
		slog.String("trigger", trigger), slog.String("path", r.path), tint.Err(err))
}
