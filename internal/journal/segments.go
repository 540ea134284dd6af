package journal

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"
)

// Segment file names: the prefix, the UTC time of the segment's first record
// to the millisecond in a fixed-width form, and the extension, e.g.
// rollsniper-20261130T145702.123Z.rsj. Fixed width and most significant field
// first, so names sort as their times do, across days and years.
const (
	segmentPrefix = "rollsniper-"
	segmentExt    = ".rsj"
	segmentGlob   = segmentPrefix + "*" + segmentExt
	nameLayout    = "20060102T150405.000"
)

var segmentName = regexp.MustCompile(`^rollsniper-[0-9]{8}T[0-9]{6}\.[0-9]{3}Z\.rsj$`)

// SegmentName returns the file name of a segment whose name time is t.
func SegmentName(t time.Time) string {
	return segmentPrefix + t.UTC().Format(nameLayout) + "Z" + segmentExt
}

// IsSegmentName reports whether name (a base name) is a segment's.
func IsSegmentName(name string) bool {
	return segmentName.MatchString(name)
}

// Segment is a segment file in a directory.
type Segment struct {
	// Path is the file's path: the directory joined with its name.
	Path string
	// Size is its size in bytes when it was listed.
	Size int64
}

// ListSegments returns the segments in dir, oldest first (in name order,
// which is time order). Files whose names are not segment names are left
// out, and so are directories.
func ListSegments(dir string) ([]Segment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Segment
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsSegmentName(e.Name()) {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since ReadDir: by a Prune, say
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Segment{Path: filepath.Join(dir, e.Name()), Size: info.Size()})
	}
	// os.ReadDir sorts by name already; say so rather than rely on it. The
	// paths share dir, so they sort as the names do.
	slices.SortFunc(out, func(a, b Segment) int { return cmp.Compare(a.Path, b.Path) })
	return out, nil
}

// Prune deletes the oldest segments in dir until the segments there add up to
// at most maxBytes, and returns the paths it deleted, oldest first. It never
// deletes keep (the segment being written: pass Writer.Segment()), nor a file
// whose name is not a segment's. maxBytes ≤ 0 means no limit: nothing is
// deleted. A segment that vanished meanwhile is not an error; after a failure
// to delete one, Prune goes on with the others and returns the first error.
func Prune(dir string, maxBytes int64, keep string) ([]string, error) {
	if maxBytes <= 0 {
		return nil, nil
	}
	segs, err := ListSegments(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: prune: %w", err)
	}
	var total int64
	for _, s := range segs {
		total += s.Size
	}
	var removed []string
	var first error
	for _, s := range segs {
		if total <= maxBytes {
			break
		}
		if keep != "" && sameFile(s.Path, keep) {
			continue
		}
		err := os.Remove(s.Path)
		switch {
		case err == nil:
			removed = append(removed, s.Path)
		case errors.Is(err, fs.ErrNotExist):
		default:
			if first == nil {
				first = fmt.Errorf("journal: prune: %w", err)
			}
			continue
		}
		total -= s.Size
	}
	return removed, first
}

// sameFile reports whether paths a and b name the same file, comparing their
// cleaned absolute forms.
func sameFile(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return aa == bb
}
