package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// compactingExt ends the name of the file Compact writes before it renames it
// over the segment. ListSegments and Prune leave such files alone: they are
// not segments until renamed.
const compactingExt = ".compacting"

// CompactOptions configure Compact. The zero value is the defaults.
type CompactOptions struct {
	// Level is the zstd compression level. Default DefaultLevel.
	Level zstd.EncoderLevel
	// Writer names the program and its version in the new header. Default:
	// the segment's own.
	Writer string
	// Yield, when set, is called before each chunk of about 256 KiB of
	// compressed output, and before the first: it may wait (while the feed
	// is busy, say), and an error from it abandons the compaction, which
	// then returns that error and leaves the segment as it was.
	Yield func() error
}

// CompactResult says what Compact did.
type CompactResult struct {
	// Compacted is false when the segment was not a stored one: Compact
	// left it as it was.
	Compacted bool
	// Before and After are the segment's sizes in bytes.
	Before, After int64
	// Records is how many records the segment holds.
	Records int64
	// Damage is what of the stored segment could not be read (a torn tail,
	// say), and is not in the compacted one; nil if none.
	Damage *Damage
}

// Compact compresses the stored segment at path (see Options.Store), which
// must be closed: no writer may be appending to it. It writes the segment's
// records, compressed as one zstd stream with no flush, to a new file beside
// it (named path + ".compacting"), syncs it, and renames it over the segment,
// so that the segment is at every moment either the stored one or the
// compacted one, whole; a reader that opened the stored one goes on reading
// it. The new segment has the same start time and name; it holds the records
// that could be read, and Damage says what could not.
//
// A segment that is not stored is left alone (Compacted false). Compact
// starts no goroutine.
func Compact(path string, opts CompactOptions) (CompactResult, error) {
	if opts.Level == 0 {
		opts.Level = DefaultLevel
	}
	src, err := OpenSegment(path)
	if err != nil {
		return CompactResult{}, err
	}
	defer src.Close()
	res := CompactResult{Before: src.src.size}
	hdr := src.Header()
	if !hdr.Stored {
		return res, nil
	}
	if opts.Writer == "" {
		opts.Writer = hdr.Writer
	}

	tmp := path + compactingExt
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return res, fmt.Errorf("journal: compact: %w", err)
	}
	w := &Writer{dir: filepath.Dir(path), opts: Options{Level: opts.Level, Writer: opts.Writer},
		out: chunkBuffer{b: make([]byte, chunkHeader, chunkHeader+chunkTarget)}, f: f, path: tmp}
	done := false
	defer func() {
		if !done {
			if w.f != nil {
				w.f.Close()
			}
			os.Remove(tmp)
		}
	}()
	enc, err := newZstdEncoder(&w.out, opts.Level)
	if err != nil {
		return res, err
	}
	w.enc = enc
	n, err := f.Write(appendHeader(nil, hdr.Start, opts.Writer, false))
	w.size = int64(n)
	if err != nil {
		return res, fmt.Errorf("journal: compact: %w", err)
	}
	if err := yield(opts.Yield); err != nil {
		return res, err
	}
	for {
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, err
		}
		chunks := w.size
		if err := w.encode(rec); err != nil {
			return res, err
		}
		res.Records++
		if w.size != chunks {
			if err := yield(opts.Yield); err != nil {
				return res, err
			}
		}
	}
	res.Damage = src.Damage()
	if err := w.closeSegment(); err != nil {
		return res, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return res, fmt.Errorf("journal: compact: %w", err)
	}
	done = true
	res.Compacted, res.After = true, w.size
	if err := syncDir(w.dir); err != nil {
		return res, fmt.Errorf("journal: compact: %w", err)
	}
	return res, nil
}

// yield calls f, if set.
func yield(f func() error) error {
	if f == nil {
		return nil
	}
	return f()
}

// Stored returns the stored segments in dir (see Options.Store), oldest
// first: those Compact has yet to compress. A segment whose header cannot be
// read is left out.
func Stored(dir string) ([]string, error) {
	segs, err := ListSegments(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var out []string
	for _, s := range segs {
		if h, err := ReadHeader(s.Path); err == nil && h.Stored {
			out = append(out, s.Path)
		}
	}
	return out, nil
}

// RemoveUnfinished deletes the files a compaction that did not finish left in
// dir (a crash in the middle of one): the segments themselves are whole. Call
// it when no Compact runs on dir.
func RemoveUnfinished(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	var first error
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(name, compactingExt) && IsSegmentName(strings.TrimSuffix(name, compactingExt)) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && first == nil {
				first = fmt.Errorf("journal: %w", err)
			}
		}
	}
	return first
}
