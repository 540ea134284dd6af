package logtest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Record is one logged record, its attributes flattened to "group.key" → value.
type Record struct {
	Level   slog.Level
	Message string
	Attrs   map[string]slog.Value
}

// String returns the attribute named key as text, or "" when it is absent.
func (r Record) String(key string) string {
	v, ok := r.Attrs[key]
	if !ok {
		return ""
	}
	return v.Resolve().String()
}

// Recorder is a slog.Handler that keeps every record. It is safe for concurrent use.
type Recorder struct {
	s     *state
	attrs []slog.Attr
	group string
}

type state struct {
	mu      sync.Mutex
	records []Record
	changed chan struct{} // closed and replaced on every new record
}

// New returns a Recorder and a logger that writes to it at every level.
func New() (*Recorder, *slog.Logger) {
	r := &Recorder{s: &state{changed: make(chan struct{})}}
	return r, slog.New(r)
}

// Enabled reports true for every level.
func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle keeps rec.
func (r *Recorder) Handle(_ context.Context, rec slog.Record) error {
	out := Record{Level: rec.Level, Message: rec.Message, Attrs: map[string]slog.Value{}}
	for _, a := range r.attrs {
		flatten(out.Attrs, "", a)
	}
	rec.Attrs(func(a slog.Attr) bool {
		flatten(out.Attrs, r.group, a)
		return true
	})
	r.s.mu.Lock()
	r.s.records = append(r.s.records, out)
	close(r.s.changed)
	r.s.changed = make(chan struct{})
	r.s.mu.Unlock()
	return nil
}

func flatten(m map[string]slog.Value, prefix string, a slog.Attr) {
	key := a.Key
	if prefix != "" {
		key = prefix + "." + key
	}
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		for _, ga := range v.Group() {
			flatten(m, key, ga)
		}
		return
	}
	m[key] = v
}

// WithAttrs returns a handler that adds attrs to every record.
func (r *Recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *r
	n.attrs = append(append([]slog.Attr(nil), r.attrs...), attrs...)
	return &n
}

// WithGroup returns a handler that puts later attributes under name.
func (r *Recorder) WithGroup(name string) slog.Handler {
	n := *r
	if n.group != "" {
		name = n.group + "." + name
	}
	n.group = name
	return &n
}

// Records returns a copy of every record so far.
func (r *Recorder) Records() []Record {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return append([]Record(nil), r.s.records...)
}

// Matching returns the records so far whose message is msg.
func (r *Recorder) Matching(msg string) []Record {
	return filter(r.Records(), withMessage(msg))
}

// Having returns the records so far that carry the attribute key.
func (r *Recorder) Having(key string) []Record {
	return filter(r.Records(), withAttr(key))
}

func withMessage(msg string) func(Record) bool {
	return func(rec Record) bool { return rec.Message == msg }
}

func withAttr(key string) func(Record) bool {
	return func(rec Record) bool {
		_, ok := rec.Attrs[key]
		return ok
	}
}

// filter returns the records of recs that keep holds for.
func filter(recs []Record, keep func(Record) bool) []Record {
	var out []Record
	for _, rec := range recs {
		if keep(rec) {
			out = append(out, rec)
		}
	}
	return out
}

// WaitFor blocks until cond holds for the records so far, or ctx ends, in which
// case it fails the test with what was logged.
func (r *Recorder) WaitFor(ctx context.Context, tb testing.TB, what string, cond func([]Record) bool) []Record {
	tb.Helper()
	for {
		r.s.mu.Lock()
		recs := append([]Record(nil), r.s.records...)
		changed := r.s.changed
		r.s.mu.Unlock()
		if cond(recs) {
			return recs
		}
		select {
		case <-changed:
		case <-ctx.Done():
			tb.Fatalf("waiting for %s: %v; logged:\n%s", what, ctx.Err(), r.Dump())
			return nil
		}
	}
}

// WaitCount blocks until at least n records with message msg were logged and
// returns them.
func (r *Recorder) WaitCount(ctx context.Context, tb testing.TB, msg string, n int) []Record {
	tb.Helper()
	return r.waitN(ctx, tb, fmt.Sprintf("%d %q records", n, msg), n, withMessage(msg))
}

// WaitHaving blocks until at least n records carrying the attribute key were
// logged and returns them.
func (r *Recorder) WaitHaving(ctx context.Context, tb testing.TB, key string, n int) []Record {
	tb.Helper()
	return r.waitN(ctx, tb, fmt.Sprintf("%d records with %q", n, key), n, withAttr(key))
}

// waitN blocks until at least n records that keep holds for were logged, and
// returns them.
func (r *Recorder) waitN(ctx context.Context, tb testing.TB, what string, n int, keep func(Record) bool) []Record {
	tb.Helper()
	var got []Record
	r.WaitFor(ctx, tb, what, func(recs []Record) bool {
		got = filter(recs, keep)
		return len(got) >= n
	})
	return got
}

// Dump renders every record, one a line, for failure messages.
func (r *Recorder) Dump() string {
	var b strings.Builder
	for _, rec := range r.Records() {
		fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
		for k, v := range rec.Attrs {
			fmt.Fprintf(&b, " %s=%v", k, v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
