package actors

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/whitelist"
)

// WhitelistReloader is the actor that reloads the whitelist file into a
// Whitelist sink: on a signal from HUP (main forwards SIGHUP there) and when
// the file changes. It polls the file's identity, size and modification time
// when its directory changes (the system tells it: fsnotify), and once a
// minute in case a change went untold, or, where the directory cannot be
// watched, on every tick of Period. It reads and hashes the file only when
// one of them changed, so an editor's rename over the file, a write in
// place and a touch are all noticed, and a touch alone does not reload.
//
// It does not poll every few seconds where it can watch: the feed carries
// about one trade a second, and waking the process to look at the file
// every two seconds cost it a third as much CPU again as a bare loop
// spends on the feed (feedbench -binary).
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
	// Tick triggers a poll of the file on every receive; nil makes Run watch
	// the file's directory, and poll on a ticker of Period where it cannot.
	// Tests inject it; then nothing is watched.
	Tick <-chan time.Time
	// Period is how often to poll when Tick is nil and the directory cannot
	// be watched; 0 means 2 s.
	Period time.Duration
	// Log is where reloads and failures are logged. Nil discards them.
	Log *slog.Logger
}

// DefaultWhitelistPoll is how often a WhitelistReloader polls its file unless
// told otherwise, where it cannot watch the file's directory.
const DefaultWhitelistPoll = 2 * time.Second

// Where the directory is watched: a change is polled for watchSettle after
// the first event that tells of it (an editor's save is several events,
// and a large file is written in several writes), and the file is polled
// every watchedPoll anyway, in case a change went untold (a file system
// that does not tell, a queue of events that overflowed).
const (
	watchSettle = 100 * time.Millisecond
	watchedPoll = time.Minute
)

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

// Run reloads on every signal from HUP and polls the file on every tick, and
// when its directory changes, until ctx ends; then it returns nil. The first
// poll (at once when it watches) compares the file with the contents the
// sink's current list was parsed from, so a change made between the first
// load and Run is not missed. A closed HUP is ignored from then on.
func (r *WhitelistReloader) Run(ctx context.Context) error {
	tick := r.tick
	var told <-chan fsnotify.Event
	var lost <-chan error
	if tick == nil {
		period := r.period
		if w, err := r.watch(); err != nil {
			r.log.LogAttrs(ctx, slog.LevelInfo, "cannot watch the whitelist's directory: looking at the file every "+period.String(),
				slog.String("path", r.path), tint.Err(err))
		} else {
			defer w.Close()
			told, lost, period = w.Events, w.Errors, watchedPoll
			r.log.LogAttrs(ctx, slog.LevelDebug, "watching the whitelist's directory for changes", slog.String("path", r.path))
		}
		t := time.NewTicker(period)
		defer t.Stop()
		tick = t.C
	}
	// settle is due watchSettle after the first event of a change.
	settle := time.NewTimer(watchSettle)
	settle.Stop()
	defer settle.Stop()
	pending := false
	hup := r.hup
	r.sum = r.sink.List().Sum()
	r.warnings(ctx, r.sink.List())
	if told != nil {
		r.poll(ctx) // a change since the list was loaded, before the watch began
	}
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
		case _, ok := <-told:
			if !ok { // the watcher failed: the ticker is left
				told, lost = nil, nil
				continue
			}
			if !pending {
				pending = true
				settle.Reset(watchSettle)
			}
		case <-lost: // events were lost (a full queue): look now
			r.poll(ctx)
		case <-settle.C:
			pending = false
			r.poll(ctx)
		}
	}
}

// watch returns a watcher of the directory r's file is in: any change there
// may be the file's (a rename over it, a symbolic link swapped), and a poll
// costs a stat.
func (r *WhitelistReloader) watch() (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(filepath.Dir(r.path)); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
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
