package actors

// This file is the compactor: it compresses the journal's stored segments
// once the recorder has closed them, in the background, at the lowest CPU
// priority, and only while the feed is quiet.

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/lowprio"
)

// CompactorConfig configures a Compactor.
type CompactorConfig struct {
	// In carries the closed stored segments to compress: the recorder's
	// Closed. Required.
	In <-chan string
	// Busy reports whether the feed is busy (the recorder's Busy): the
	// compactor does not start a segment, nor go on with one, while it is.
	// Nil: never busy.
	Busy func() bool
	// Recheck is how long the compactor waits before asking Busy again.
	// Default 1 s.
	Recheck time.Duration
	// Log is where the compactor logs; nil discards.
	Log *slog.Logger
}

// Compactor compresses each stored segment it is handed with journal.Compact,
// one at a time, on a goroutine of its own at the lowest CPU priority (on
// Linux), and pauses between chunks while the feed is busy: a burst of the
// feed never shares the CPU with it.
type Compactor struct {
	cfg CompactorConfig
	log *slog.Logger

	compacted atomic.Uint64
	saved     atomic.Int64 // bytes
}

// CompactorStats is a snapshot of a Compactor's counters.
type CompactorStats struct {
	// Compacted counts the segments compressed.
	Compacted uint64
	// Saved is how many bytes of disk the compression saved.
	Saved int64
}

// NewCompactor returns a compactor. It starts nothing: call Run. It panics
// without In.
func NewCompactor(cfg CompactorConfig) *Compactor {
	if cfg.In == nil {
		panic("actors: NewCompactor: CompactorConfig.In is nil")
	}
	if cfg.Busy == nil {
		cfg.Busy = func() bool { return false }
	}
	if cfg.Recheck <= 0 {
		cfg.Recheck = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Compactor{cfg: cfg, log: cfg.Log}
}

// Stats returns the compactor's counters. It is safe to call while Run runs.
func (c *Compactor) Stats() CompactorStats {
	return CompactorStats{Compacted: c.compacted.Load(), Saved: c.saved.Load()}
}

// Run compresses the segments from In until In is closed or ctx ends, and
// returns nil. When ctx ends in the middle of a segment, that compaction is
// abandoned: the segment stays stored, whole, for the next run.
func (c *Compactor) Run(ctx context.Context) error {
	// The lowered priority stays with this goroutine's thread, which ends
	// with it: the goroutine is never unlocked.
	runtime.LockOSThread()
	if err := lowprio.Lower(); err != nil {
		c.log.DebugContext(ctx, "cannot lower the compactor's priority", tint.Err(err))
	}
	for {
		var path string
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case path, ok = <-c.cfg.In:
			if !ok {
				return nil
			}
		}
		c.compact(ctx, path)
	}
}

// compact compresses one segment, waiting while the feed is busy.
func (c *Compactor) compact(ctx context.Context, path string) {
	res, err := journal.Compact(path, journal.CompactOptions{Yield: func() error { return c.waitQuiet(ctx) }})
	switch {
	case ctx.Err() != nil:
		return
	case errors.Is(err, fs.ErrNotExist):
		return // pruned meanwhile
	case err != nil:
		c.log.WarnContext(ctx, "cannot compress a journal segment: it stays uncompressed", slog.String("segment", path), tint.Err(err))
		return
	case !res.Compacted:
		return
	}
	c.compacted.Add(1)
	c.saved.Add(res.Before - res.After)
	c.log.DebugContext(ctx, "compressed a journal segment", slog.String("segment", filepath.Base(path)),
		slog.Int64("bytes_before", res.Before), slog.Int64("bytes_after", res.After), slog.Int64("records", res.Records))
	if d := res.Damage; d != nil {
		c.log.WarnContext(ctx, "a journal segment was damaged (a crash?): compressed without its damaged part",
			slog.String("segment", path), slog.Int64("bytes_skipped", d.Bytes), slog.Int64("records_kept", d.Records), slog.String("reason", d.Reason))
	}
}

// waitQuiet returns once the feed is not busy, or ctx.Err() when ctx ends
// first.
func (c *Compactor) waitQuiet(ctx context.Context) error {
	for c.cfg.Busy() {
		t := time.NewTimer(c.cfg.Recheck)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return ctx.Err()
}
