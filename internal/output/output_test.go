package output

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rollsniper/rollsniper/internal/logtest"
)

func TestWrites(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		records    []string
		flush      bool
		wantWrites []int
	}{
		{"buffered until flushed", 10, []string{"abc", "def"}, false, []int{}},
		{"flush writes once", 10, []string{"abc", "def"}, true, []int{6}},
		{"full buffer written before the record that does not fit", 10, []string{"abcd", "efgh", "ijk"}, true, []int{8, 3}},
		{"exactly full stays buffered", 6, []string{"abc", "def"}, false, []int{}},
		{"record larger than the buffer goes straight through", 4, []string{"ab", "cdefgh", "i"}, true, []int{2, 6, 1}},
		{"flush of nothing writes nothing", 10, nil, true, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := new(logtest.Writes)
			o := New(w, tt.size)
			for _, r := range tt.records {
				n, err := o.Write([]byte(r))
				if n != len(r) || err != nil {
					t.Fatalf("Write(%q) = %d, %v, want %d, nil", r, n, err, len(r))
				}
			}
			if tt.flush {
				if err := o.Flush(); err != nil {
					t.Fatalf("Flush() = %v", err)
				}
				if got := o.Buffered(); got != 0 {
					t.Errorf("Buffered() after Flush = %d, want 0", got)
				}
			}
			if got := w.Sizes(); !slices.Equal(got, tt.wantWrites) {
				t.Errorf("write sizes = %v, want %v", got, tt.wantWrites)
			}
			if tt.flush {
				if got, want := w.String(), strings.Join(tt.records, ""); got != want {
					t.Errorf("wrote %q, want %q", got, want)
				}
			}
		})
	}
}

func TestKeepsTheFirstError(t *testing.T) {
	broken := errors.New("broken pipe")
	w := new(logtest.Writes)
	w.Fail(broken)
	o := New(w, 8)
	if _, err := o.Write([]byte("abc")); err != nil {
		t.Fatalf("buffered Write() = %v, want nil", err)
	}
	if err := o.Flush(); !errors.Is(err, broken) {
		t.Errorf("Flush() = %v, want %v", err, broken)
	}
	w.Fail(nil) // the writer recovers; the Output does not pretend it did
	if _, err := o.Write([]byte("d")); !errors.Is(err, broken) {
		t.Errorf("Write() after a failed flush = %v, want %v", err, broken)
	}
	if err := o.Flush(); !errors.Is(err, broken) {
		t.Errorf("second Flush() = %v, want %v", err, broken)
	}
}

// Records written at once by several writers (the printer, the whitelist's
// match records) come out whole, never spliced into each other.
func TestConcurrentWritersDoNotInterleave(t *testing.T) {
	const writers, records = 4, 500
	w := new(logtest.Writes)
	out := New(w, 1024)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			log := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{ReplaceAttr: outputNoTime}))
			for j := range records {
				log.Info("record", "writer", i, "n", j, "pad", strings.Repeat(string(rune('a'+i)), 40+j%50))
				if j%7 == 0 {
					if err := out.Flush(); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if err := out.Flush(); err != nil {
		t.Fatal(err)
	}

	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	if len(lines) != writers*records {
		t.Fatalf("%d lines, want %d", len(lines), writers*records)
	}
	next := make([]int, writers) // each writer's records arrive in its order
	for _, line := range lines {
		var i, j int
		var pad string
		if _, err := fmt.Sscanf(line, `{"level":"INFO","msg":"record","writer":%d,"n":%d,"pad":%q}`, &i, &j, &pad); err != nil {
			t.Fatalf("spliced or malformed record %q: %v", line, err)
		}
		if want := strings.Repeat(string(rune('a'+i)), 40+j%50); pad != want || j != next[i] {
			t.Fatalf("record %q out of order or spliced: want n=%d", line, next[i])
		}
		next[i]++
	}
}

func outputNoTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}
