package dedup

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func TestArriveFirstAndLaterCopies(t *testing.T) {
	w := New(8, time.Minute)
	if dup, _ := w.Arrive([]byte("VHJhZGU6MQ"), 0, t0); dup {
		t.Fatal("the first copy counted as a duplicate")
	}
	dup, first := w.Arrive([]byte("VHJhZGU6MQ"), 1, t0.Add(3*time.Millisecond))
	if !dup || first.Conn != 0 || !first.At.Equal(t0) {
		t.Fatalf("second copy: dup %v first %+v, want true, conn 0 at %v", dup, first, t0)
	}
	// A third copy still names the first, not the second.
	if dup, first = w.Arrive([]byte("VHJhZGU6MQ"), 1, t0.Add(time.Second)); !dup || first.Conn != 0 {
		t.Fatalf("third copy: dup %v first %+v", dup, first)
	}
	if dup, _ := w.Arrive([]byte("VHJhZGU6Mg"), 1, t0); dup {
		t.Fatal("another id counted as a duplicate")
	}
	if w.Len() != 2 {
		t.Errorf("Len = %d, want 2", w.Len())
	}
}

func TestForgetsByCountAndByAge(t *testing.T) {
	w := New(3, time.Minute)
	for i, id := range []string{"a", "b", "c", "d"} { // d pushes out a
		w.Arrive([]byte(id), 0, t0.Add(time.Duration(i)*time.Second))
	}
	if dup, _ := w.Arrive([]byte("b"), 1, t0.Add(5*time.Second)); !dup {
		t.Error("b was forgotten while two newer ids came")
	}
	if dup, _ := w.Arrive([]byte("a"), 1, t0.Add(5*time.Second)); dup {
		t.Error("a is remembered after three newer ids came: the count bound does not hold")
	}
	w = New(100, time.Minute)
	w.Arrive([]byte("old"), 0, t0)
	if dup, _ := w.Arrive([]byte("old"), 1, t0.Add(time.Minute-time.Nanosecond)); !dup {
		t.Error("forgotten before its minute was up")
	}
	if dup, _ := w.Arrive([]byte("old"), 1, t0.Add(time.Minute)); dup {
		t.Error("remembered for more than its minute: the age bound does not hold")
	}
}

// Seen looks without recording; a tag kept with a first copy comes back
// with every later one.
func TestSeenAndTags(t *testing.T) {
	w := New(8, time.Minute)
	if seen, _ := w.Seen([]byte("frame"), t0); seen {
		t.Fatal("an id never recorded was seen")
	}
	if dup, _ := w.ArriveTagged([]byte("frame"), 1, t0, 3); dup {
		t.Fatal("Seen recorded the id: its first copy counted as a duplicate")
	}
	seen, first := w.Seen([]byte("frame"), t0.Add(time.Millisecond))
	if !seen || first.Conn != 1 || first.Tag != 3 || !first.At.Equal(t0) {
		t.Errorf("Seen = %v %+v, want the first copy: conn 1, tag 3, at %v", seen, first, t0)
	}
	if dup, first := w.Arrive([]byte("frame"), 0, t0.Add(time.Second)); !dup || first.Tag != 3 {
		t.Errorf("a later copy: %v %+v, want the tag kept", dup, first)
	}
	if w.Len() != 1 {
		t.Errorf("Len = %d, want 1", w.Len())
	}
}

func TestLongIDs(t *testing.T) {
	w := New(4, time.Minute)
	long := strings.Repeat("x", maxID+10)
	w.Arrive([]byte(long), 0, t0)
	if dup, _ := w.Arrive([]byte(long), 1, t0); !dup {
		t.Error("a long id was not recognised")
	}
	if dup, _ := w.Arrive([]byte(long[:maxID]), 1, t0); dup {
		t.Error("a prefix of a long id counted as the same id")
	}
}

// model is the obvious window: a map and a slice, for the property test.
type model struct {
	capacity int
	maxAge   time.Duration
	order    []string
	first    map[string]Arrival
}

func (m *model) arrive(id string, conn int, now time.Time, tag uint32) (bool, Arrival) {
	if seen, a := m.seen(id, now); seen {
		return true, a
	}
	if len(m.order) == m.capacity {
		delete(m.first, m.order[0])
		m.order = m.order[1:]
	}
	m.first[id] = Arrival{Conn: conn, At: now, Tag: tag}
	m.order = append(m.order, id)
	return false, Arrival{}
}

func (m *model) seen(id string, now time.Time) (bool, Arrival) {
	for len(m.order) > 0 && now.Sub(m.first[m.order[0]].At) >= m.maxAge {
		delete(m.first, m.order[0])
		m.order = m.order[1:]
	}
	a, ok := m.first[id]
	return ok, a
}

// Two connections deliver an interleaved stream with copies late, missing
// and out of order, and clock jumps; the window answers as the model does.
// Small capacities make the table wrap and the backward shifts run often.
func TestMatchesTheModel(t *testing.T) {
	for _, capacity := range []int{1, 2, 3, 7, 64, 1000} {
		t.Run(fmt.Sprint(capacity), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(capacity), 7))
			w := New(capacity, 10*time.Second)
			m := &model{capacity: capacity, maxAge: 10 * time.Second, first: map[string]Arrival{}}
			now := t0
			for i := range 200_000 {
				now = now.Add(time.Duration(rng.IntN(50)) * time.Millisecond)
				if rng.IntN(1000) == 0 {
					now = now.Add(30 * time.Second)
				}
				id := fmt.Sprintf("VHJhZGU6%d", rng.IntN(3*capacity+5))
				conn, tag := rng.IntN(2), rng.Uint32()
				var gotDup, wantDup bool
				var gotFirst, wantFirst Arrival
				switch rng.IntN(3) {
				case 0: // a look that records nothing
					gotDup, gotFirst = w.Seen([]byte(id), now)
					wantDup, wantFirst = m.seen(id, now)
				case 1:
					gotDup, gotFirst = w.ArriveTagged([]byte(id), conn, now, tag)
					wantDup, wantFirst = m.arrive(id, conn, now, tag)
				default:
					gotDup, gotFirst = w.Arrive([]byte(id), conn, now)
					wantDup, wantFirst = m.arrive(id, conn, now, 0)
				}
				if gotDup != wantDup || gotFirst.Conn != wantFirst.Conn || !gotFirst.At.Equal(wantFirst.At) || gotFirst.Tag != wantFirst.Tag {
					t.Fatalf("step %d, id %s: got %v %+v, want %v %+v", i, id, gotDup, gotFirst, wantDup, wantFirst)
				}
				if w.Len() != len(m.order) {
					t.Fatalf("step %d: Len %d, model holds %d", i, w.Len(), len(m.order))
				}
			}
		})
	}
}

func TestArriveDoesNotAllocate(t *testing.T) {
	w := New(1<<16, 10*time.Minute)
	ids := make([][]byte, 4096)
	for i := range ids {
		ids[i] = fmt.Appendf(nil, "VHJhZGU6%08d", i)
	}
	i := 0
	now := t0
	if n := testing.AllocsPerRun(10_000, func() {
		w.Arrive(ids[i%len(ids)], i%2, now)
		w.Seen(ids[(i+7)%len(ids)], now)
		i++
		now = now.Add(time.Millisecond)
	}); n != 0 {
		t.Errorf("Arrive and Seen allocate %v times, want 0", n)
	}
}

// BenchmarkArrive measures a first copy and its second, as two connections
// deliver every trade, in a full window.
func BenchmarkArrive(b *testing.B) {
	w := New(1<<16, 10*time.Minute)
	ids := make([][]byte, 1<<18)
	for i := range ids {
		ids[i] = fmt.Appendf(nil, "VHJhZGU6%08d", i)
	}
	now := t0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := ids[i%len(ids)]
		w.Arrive(id, 0, now)
		w.Arrive(id, 1, now)
		i++
		now = now.Add(time.Microsecond)
	}
}
