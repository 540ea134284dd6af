package journal

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
)

// SegmentInfo is a segment a Reader will read.
type SegmentInfo struct {
	Path string
	// Header is the segment's header; the zero Header if it is damaged
	// (the segment then reads no record, and its Damage says why).
	Header Header
}

// Reader reads the records of a journal given as files and directories, in
// order, segment after segment. It starts no goroutine.
type Reader struct {
	segs   []SegmentInfo
	next   int            // index in segs of the next segment to open
	cur    *SegmentReader // reused from segment to segment
	open   bool           // cur holds an open segment
	damage []Damage
}

// Segments returns the segment files named by paths, in the order a Reader
// reads them: a directory stands for the segments in it (files named like
// rollsniper-20261130T145702.123Z.rsj; other files and subdirectories are
// left out), a file for itself, whatever its name; a file named twice is read
// once. They are ordered by the start time in their headers, which is time
// order, whatever the order of paths.
//
// It reads each file's header, and fails with a *NotJournalError on a file
// that is not a journal, a *VersionError on one of a format version this
// package does not read, and with an error naming a directory that holds no
// segment.
func Segments(paths ...string) ([]SegmentInfo, error) {
	if len(paths) == 0 {
		return nil, errors.New("journal: no journal given: name the recording's directory or its segment files")
	}
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		segs, err := ListSegments(p)
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		if len(segs) == 0 {
			return nil, fmt.Errorf("journal: %s holds no journal segments (%s files)", p, segmentGlob)
		}
		for _, s := range segs {
			files = append(files, s.Path)
		}
	}
	var out []SegmentInfo
	seen := map[string]bool{}
	for _, f := range files {
		key := f
		if abs, err := filepath.Abs(f); err == nil {
			key = abs
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		h, err := ReadHeader(f)
		if err != nil {
			return nil, err
		}
		out = append(out, SegmentInfo{Path: f, Header: h})
	}
	slices.SortStableFunc(out, func(a, b SegmentInfo) int { return a.Header.Start.Compare(b.Header.Start) })
	return out, nil
}

// ReadHeader reads the header of the segment file at path. It fails as
// OpenSegment does; a damaged header gives the zero Header and no error.
func ReadHeader(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	var b [maxHeader]byte
	n, err := io.ReadFull(f, b[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Header{}, fmt.Errorf("journal: %w", err)
	}
	h, _, err := parseHeader(b[:n], path)
	if _, damaged := errors.AsType[headerProblem](err); damaged {
		return Header{}, nil
	}
	return h, err
}

// NewReader returns a reader of the journal that paths name, checked and
// ordered as Segments does.
func NewReader(paths ...string) (*Reader, error) {
	segs, err := Segments(paths...)
	if err != nil {
		return nil, err
	}
	return &Reader{segs: segs, cur: &SegmentReader{}}, nil
}

// Segments returns the segments the reader reads, in order.
func (r *Reader) Segments() []SegmentInfo {
	return r.segs
}

// Next returns the next record. Its Data points into the reader's buffer and
// is valid until the next call to Next or Close. After the last record it
// returns io.EOF. Damage does not stop it: it skips the rest of a damaged
// segment, notes it (see Damage), and goes on with the next segment. Other
// errors are failures to read a file, or a file that was replaced meanwhile
// by one that is not a journal (or not of this version).
func (r *Reader) Next() (Record, error) {
	for {
		if r.open {
			rec, err := r.cur.Next()
			if err != io.EOF {
				return rec, err
			}
			if d := r.cur.Damage(); d != nil {
				r.damage = append(r.damage, *d)
			}
			r.open = false
			if err := r.cur.closeFile(); err != nil {
				return Record{}, fmt.Errorf("journal: %w", err)
			}
		}
		if r.next == len(r.segs) {
			return Record{}, io.EOF
		}
		path := r.segs[r.next].Path
		r.next++
		if err := r.cur.open(path); err != nil {
			r.cur.closeFile()
			return Record{}, err
		}
		r.open = true
	}
}

// All returns an iterator over the records Next returns, for a range loop:
//
//	for rec, err := range r.All() {
//		if err != nil {
//			return err
//		}
//		...
//	}
//
// It ends after the last record, or after yielding an error with a zero
// Record. Each record's Data is valid until the loop's next iteration.
func (r *Reader) All() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

// Segment returns the path of the segment the last record came from.
func (r *Reader) Segment() string {
	return r.cur.Path()
}

// Damage returns the damage met so far, one entry for each damaged segment
// the reader has finished, in order. A caller that logs as it goes checks
// whether it has grown after each call to Next.
func (r *Reader) Damage() []Damage {
	return r.damage
}

// Close closes the segment being read.
func (r *Reader) Close() error {
	r.open = false
	return r.cur.Close()
}
