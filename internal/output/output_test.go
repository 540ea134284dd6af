package output

import (
	"strings"
	"sync"
	"testing"
)

func TestBufferKeepsWholeRecordsUpToItsLimit(t *testing.T) {
	b := NewBuffer(10, 2)
	for _, tt := range []struct {
		stream       int
		record       string
		wantKept     bool
		wantBuffered int
	}{
		{0, "abcd", true, 4},
		{1, "efgh", true, 8},
		{0, "ijk", false, 8}, // does not fit: dropped whole, not cut
		{1, "ij", true, 10},  // fits exactly
		{1, "k", false, 10},
	} {
		kept, buffered, _ := b.Append(tt.stream, []byte(tt.record))
		if kept != tt.wantKept || buffered != tt.wantBuffered {
			t.Errorf("Append(%d, %q) = %t, %d; want %t, %d", tt.stream, tt.record, kept, buffered, tt.wantKept, tt.wantBuffered)
		}
	}
	if d0, d1 := b.Dropped(0), b.Dropped(1); d0 != 1 || d1 != 1 {
		t.Errorf("dropped %d and %d, want 1 for each stream", d0, d1)
	}
	if got := string(b.Take(nil)); got != "abcdefghij" {
		t.Errorf("Take = %q, want the kept records in order", got)
	}
	if b.Len() != 0 {
		t.Errorf("Len = %d after Take, want 0", b.Len())
	}
	// Room again once taken.
	if kept, _, mark := b.Append(0, []byte("ijk")); !kept || mark != 13 {
		t.Errorf("Append after Take: kept %t, mark %d; want true, 13 (bytes kept in all)", kept, mark)
	}
}

// Take hands over the storage and takes the spare, so two slices alternate.
func TestTakeReusesTheSpare(t *testing.T) {
	b := NewBuffer(64, 1)
	b.Append(0, []byte("first"))
	one := b.Take(make([]byte, 0, 64))
	b.Append(0, []byte("second"))
	two := b.Take(one)
	if string(two) != "second" || &two[:1][0] == &one[:1][0] {
		t.Errorf("Take = %q: want %q in the spare given at the first Take", two, "second")
	}
	b.Append(0, []byte("third"))
	if three := b.Take(two); &three[:1][0] != &one[:1][0] {
		t.Error("the first slice was not reused by the third Take")
	}
}

// Concurrent writers never interleave inside a record.
func TestRecordsNeverInterleave(t *testing.T) {
	b := NewBuffer(1<<20, 1)
	var wg sync.WaitGroup
	for _, c := range "abcd" {
		wg.Go(func() {
			rec := strings.Repeat(string(c), 50) + "\n"
			for range 100 {
				b.Append(0, []byte(rec))
			}
		})
	}
	wg.Wait()
	for _, line := range strings.Split(strings.TrimSuffix(string(b.Take(nil)), "\n"), "\n") {
		if len(line) != 50 || strings.Count(line, line[:1]) != 50 {
			t.Fatalf("a record was interleaved with another: %q", line)
		}
	}
}
