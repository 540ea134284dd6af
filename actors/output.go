package actors

// This file holds the actor that owns one of the process's output files
// (stdout, stderr): the only goroutine that writes to it.

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rollsniper/rollsniper/internal/output"
)

// Output is the one writer of an output file. Everything else writes records
// into its buffer (Stream), which never waits: when the file does not keep up
// (a pipe nobody reads, a paused terminal, a slow log collector) and the
// buffer is full, whole records are dropped and counted by stream. So neither
// the sinks nor anything on the path from the socket ever waits on stdout or
// stderr, and a stalled stdout costs the trade records, not the connection,
// the whitelist or the alerts.
//
// Run writes whatever is buffered whenever it is asked to (Flush, or every
// record when the output is prompt), or on its own once a batch's worth is
// waiting, in one write: a burst costs a few writes while a quiet feed shows
// each record at once.
type Output struct {
	name    string // "stdout" or "stderr", for the reports
	w       io.Writer
	buf     *output.Buffer
	streams []string
	prompt  bool          // every record asks for a write
	wake    chan struct{} // asks Run to write (buffer 1: never blocks)

	// progress, when a Sync waits on it, is closed after the next write
	// and set to nil, under mu (a write with no one waiting allocates
	// nothing); written counts the bytes written, err is the first write
	// error.
	mu       sync.Mutex
	progress chan struct{}
	written  uint64
	err      error

	// log receives the reports of dropped records; early also says when a
	// streak of drops begins (never for the file log itself writes to).
	log      *slog.Logger
	early    bool
	dropping atomic.Bool // a streak of drops has begun and is not yet reported
	reported uint64      // Run's own: records dropped as of the last report
}

// NewOutput returns the writer of w, named name (stdout or stderr) in its
// reports, holding up to limit bytes of records from the named streams. A
// prompt output writes each record as soon as it can (a log); otherwise a
// record waits for a Flush or a full batch (the printer flushes whenever its
// queue is empty, so a burst goes out in few writes). It starts nothing: call
// Run.
func NewOutput(name string, w io.Writer, limit int, prompt bool, streams ...string) *Output {
	return &Output{name: name, w: w, buf: output.NewBuffer(limit, len(streams)), streams: streams, prompt: prompt,
		wake: make(chan struct{}, 1)}
}

// SetLog makes the output report on log the records it had to drop, once a
// streak of drops has ended; with early it also warns when one begins. Call
// it before Run. The output log writes to must not warn early: a warning
// written from inside a write to the same file would wait for itself.
func (o *Output) SetLog(log *slog.Logger, early bool) {
	o.log, o.early = log, early
}

// Stream returns the writer for the records of stream, one of the streams
// NewOutput named; it panics on another name. Each Write is one record: kept
// whole, or dropped and counted when the buffer has no room. Write never
// waits and never fails.
func (o *Output) Stream(stream string) io.Writer {
	i := slices.Index(o.streams, stream)
	if i < 0 {
		panic("actors: Output.Stream: no stream " + stream)
	}
	return outputStream{o: o, i: i}
}

type outputStream struct {
	o *Output
	i int
}

// Unwrap returns the file the stream's records go to.
func (s outputStream) Unwrap() io.Writer { return s.o.w }

func (s outputStream) Write(p []byte) (int, error) {
	o := s.o
	kept, buffered, _ := o.buf.Append(s.i, p)
	switch {
	case !kept:
		if !o.dropping.Swap(true) && o.early && o.log != nil {
			o.log.Warn(o.name+" is not keeping up: dropping records until it does", slog.String("stream", o.streams[s.i]))
		}
		o.ask()
	case o.prompt || buffered >= output.BatchSize:
		o.ask()
	}
	return len(p), nil
}

// Unwrap returns the file the output writes, so that a caller can ask
// whether it is a terminal.
func (o *Output) Unwrap() io.Writer { return o.w }

// ask wakes Run, without waiting.
func (o *Output) ask() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Flush asks Run to write what is buffered, and returns at once: it never
// waits for the write. It returns the first error a write has returned, if
// any (the file is gone), so that a sink that flushes learns of it.
func (o *Output) Flush() error {
	o.ask()
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// Sync asks Run to write what is buffered and waits until it has, or ctx
// ends, or a write fails; it returns the write's error or ctx's.
func (o *Output) Sync(ctx context.Context) error {
	mark := o.buf.Appended()
	for {
		o.mu.Lock()
		if o.progress == nil {
			o.progress = make(chan struct{})
		}
		written, progress, err := o.written, o.progress, o.err
		o.mu.Unlock()
		o.ask() // after progress is there for the write to close
		if err != nil {
			return err
		}
		if written >= mark {
			return nil
		}
		select {
		case <-progress:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// OutputStats is a snapshot of an Output.
type OutputStats struct {
	Name     string
	Buffered int               // bytes waiting to be written
	Written  uint64            // bytes written
	Dropped  map[string]uint64 // records dropped, by stream; every stream has a key
}

// Stats returns a snapshot. It is safe to call while Run runs.
func (o *Output) Stats() OutputStats {
	s := OutputStats{Name: o.name, Buffered: o.buf.Len(), Dropped: make(map[string]uint64, len(o.streams))}
	o.mu.Lock()
	s.Written = o.written
	o.mu.Unlock()
	for i, name := range o.streams {
		s.Dropped[name] = o.buf.Dropped(i)
	}
	return s
}

// Run writes what is buffered each time it is asked to, until ctx ends; then
// it writes what is left, once, and returns nil. A write that fails ends Run
// with its error, which Flush and Sync return from then on. A write to a file
// that blocks blocks Run, and only Run.
func (o *Output) Run(ctx context.Context) error {
	var spare []byte
	for {
		select {
		case <-o.wake:
		case <-ctx.Done():
			_, err := o.write(spare)
			return err
		}
		var err error
		if spare, err = o.write(spare); err != nil {
			return err
		}
	}
}

// write writes what is buffered in one write, reports the drops that ended
// with it, and returns the storage to reuse.
func (o *Output) write(spare []byte) ([]byte, error) {
	data := o.buf.Take(spare)
	if len(data) == 0 {
		return data, nil
	}
	n, err := o.w.Write(data)
	if err == nil && n < len(data) {
		err = io.ErrShortWrite
	}
	o.mu.Lock()
	o.written += uint64(len(data))
	if err != nil && o.err == nil {
		o.err = err
	}
	if o.progress != nil {
		close(o.progress)
		o.progress = nil
	}
	o.mu.Unlock()
	if err == nil {
		o.report()
	}
	return data[:0], err
}

// report logs, once a write has gone through, how many records were dropped
// since the last report, by stream. With no drop since the last report (the
// flag a drop raises is down: the usual case) it touches nothing else: at
// the real feed's rhythm every write meets cold caches.
func (o *Output) report() {
	if !o.dropping.Swap(false) {
		return
	}
	var total uint64
	for i := range o.streams {
		total += o.buf.Dropped(i)
	}
	if total == o.reported {
		return // nothing dropped since: the usual case, which allocates nothing
	}
	attrs := make([]slog.Attr, 0, len(o.streams)+1)
	for i, name := range o.streams {
		attrs = append(attrs, slog.Uint64(name, o.buf.Dropped(i)))
	}
	attrs = append(attrs, slog.Uint64("dropped", total-o.reported))
	o.reported = total
	if o.log != nil {
		o.log.LogAttrs(context.Background(), slog.LevelWarn, o.name+" did not keep up: records were dropped (the counts by stream are totals)", attrs...)
	}
}
