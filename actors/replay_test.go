package actors

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/journal/journaltest"
	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// writeTestJournal writes recs into a new journal in dir, flushing after
// each, and closes it.
func writeTestJournal(t *testing.T, dir string, recs []journal.Record) {
	t.Helper()
	journaltest.Write(t, dir, journal.Options{}, recs, true, false)
}

// replayAll runs a replay of dir with cfg and returns every frame it sent,
// and its result.
func replayAll(t *testing.T, dir string, cfg ReplayConfig) ([]messages.Frame, *Replay, error) {
	t.Helper()
	r, err := journal.NewReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Reader = r
	rep := NewReplay(cfg)
	done := make(chan error, 1)
	go func() { done <- rep.Run(context.Background()) }()
	var got []messages.Frame
	for f := range rep.Out() {
		got = append(got, f)
	}
	return got, rep, <-done
}

func frameRecord(at time.Time, session uint64, data string) journal.Record {
	return journal.Record{Kind: journal.KindFrame, Conn: 1, Session: session, Time: at, Data: []byte(data)}
}

func TestReplaySendsTheRecordedFramesAsReceived(t *testing.T) {
	dir := t.TempDir()
	recs := []journal.Record{
		{Kind: journal.KindSessionStart, Conn: 1, Session: 1, Time: recT0, Data: []byte("createTrades")},
		frameRecord(recT0.Add(time.Second), 1, `{"n":1}`),
		frameRecord(recT0.Add(2*time.Second), 1, `not json at all`),
		journal.DroppedRecord(recT0.Add(3*time.Second), 5),
		{Kind: journal.KindSessionEnd, Conn: 1, Session: 1, Time: recT0.Add(4 * time.Second), Data: []byte("dropped")},
		{Kind: journal.Kind(99), Time: recT0.Add(4 * time.Second), Data: []byte("a kind of a later writer")},
		{Kind: journal.KindSessionStart, Conn: 1, Session: 2, Time: recT0.Add(5 * time.Second), Data: []byte("createTrades")},
		frameRecord(recT0.Add(6*time.Second), 2, `{"n":3}`),
	}
	// Many more, so that the frames outgrow a slab and the reader's buffer.
	big := bytes.Repeat([]byte("x"), 40<<10)
	for i := range 100 {
		recs = append(recs, frameRecord(recT0.Add(time.Duration(7+i)*time.Second), 2, fmt.Sprintf(`{"n":%d,"pad":"%s"}`, 4+i, big)))
	}
	writeTestJournal(t, dir, recs)
	logs, log := logtest.New()
	got, rep, err := replayAll(t, dir, ReplayConfig{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	var want []journal.Record
	for _, r := range recs {
		if r.Kind == journal.KindFrame {
			want = append(want, r)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d frames, want %d", len(got), len(want))
	}
	for i, f := range got {
		if !bytes.Equal(f.Data, want[i].Data) || !f.ReceivedAt.Equal(want[i].Time) || f.Session != want[i].Session {
			t.Fatalf("frame %d: %.30q at %v session %d; want %.30q at %v session %d", i, f.Data, f.ReceivedAt, f.Session, want[i].Data, want[i].Time, want[i].Session)
		}
	}
	s := rep.Stats()
	if s.Frames != uint64(len(want)) || s.Lost != 5 || s.Sessions != 2 || !s.First.Equal(want[0].Time) || !s.Last.Equal(want[len(want)-1].Time) || len(s.Damage) != 0 {
		t.Errorf("stats %+v", s)
	}
	if l := logs.Matching("the recording lost frames here (the recorder's queue was full)"); len(l) != 1 || l[0].Attrs["frames"].Uint64() != 5 {
		t.Errorf("logged %v, want the 5 lost frames", l)
	}
}

func TestReplaySkipsATornTailAndSaysHowManyBytes(t *testing.T) {
	dir := t.TempDir()
	var recs []journal.Record
	for i := range 20 {
		recs = append(recs, frameRecord(recT0.Add(time.Duration(i)*time.Second), 1, fmt.Sprintf(`{"n":%d}`, i)))
	}
	// The last segment was being written when the process died: it is cut
	// in the middle of its last chunk.
	path := journaltest.Write(t, dir, journal.Options{Store: true}, recs, true, true)
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, file[:len(file)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	logs, log := logtest.New()
	got, rep, err := replayAll(t, dir, ReplayConfig{Log: log})
	if err != nil {
		t.Fatalf("Run = %v, want nil: damage never stops a replay", err)
	}
	if len(got) != 19 {
		t.Errorf("%d frames, want the 19 before the torn one", len(got))
	}
	warns := logs.Matching("skipped a damaged part of the journal (a torn tail after a crash, or corruption)")
	if len(warns) != 1 || warns[0].Attrs["bytes"].Int64() <= 0 || warns[0].Attrs["segment"].String() != path {
		t.Errorf("logged %v, want one warning naming the segment and the bytes skipped", warns)
	}
	if d := rep.Stats().Damage; len(d) != 1 || d[0].Bytes <= 0 {
		t.Errorf("damage %v", d)
	}
}

func TestReplayKeepsTheRecordedTiming(t *testing.T) {
	offsets := []time.Duration{0, 2 * time.Second, 2 * time.Second, 5 * time.Second, 90 * time.Minute}
	for _, tc := range []struct {
		speed float64
		scale float64 // of the offsets
	}{{1, 1}, {10, 0.1}, {0, 0}} {
		t.Run(fmt.Sprint("speed=", tc.speed), func(t *testing.T) {
			dir := t.TempDir()
			var recs []journal.Record
			for i, o := range offsets {
				recs = append(recs, frameRecord(recT0.Add(o), 1, fmt.Sprint(i)))
			}
			writeTestJournal(t, dir, recs)
			synctest.Test(t, func(t *testing.T) {
				r, err := journal.NewReader(dir)
				if err != nil {
					t.Fatal(err)
				}
				rep := NewReplay(ReplayConfig{Reader: r, Speed: tc.speed})
				start := time.Now()
				done := make(chan error, 1)
				go func() { done <- rep.Run(context.Background()) }()
				i := 0
				for f := range rep.Out() {
					want := time.Duration(float64(offsets[i]) * tc.scale)
					if got := time.Since(start); got != want {
						t.Errorf("frame %d sent %v after the start, want %v", i, got, want)
					}
					if !f.ReceivedAt.Equal(recs[i].Time) {
						t.Errorf("frame %d received at %v, want the recorded %v", i, f.ReceivedAt, recs[i].Time)
					}
					i++
				}
				if err := <-done; err != nil || i != len(offsets) {
					t.Errorf("Run = %v after %d frames", err, i)
				}
			})
		})
	}
}

func TestReplayStopsWhenAsked(t *testing.T) {
	dir := t.TempDir()
	writeTestJournal(t, dir, []journal.Record{frameRecord(recT0, 1, "a"), frameRecord(recT0.Add(time.Hour), 1, "b")})
	synctest.Test(t, func(t *testing.T) {
		r, err := journal.NewReader(dir)
		if err != nil {
			t.Fatal(err)
		}
		rep := NewReplay(ReplayConfig{Reader: r, Speed: 1})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- rep.Run(ctx) }()
		if f := <-rep.Out(); string(f.Data) != "a" {
			t.Fatalf("first frame %q", f.Data)
		}
		synctest.Wait() // waiting an hour for the next
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil on a stop", err)
		}
		if _, ok := <-rep.Out(); ok {
			t.Fatal("Out not closed")
		}
	})
}

func TestReplayFromTo(t *testing.T) {
	dir := t.TempDir()
	var recs []journal.Record
	for i := range 10 {
		recs = append(recs, frameRecord(recT0.Add(time.Duration(i)*time.Minute), 1, fmt.Sprint(i)))
	}
	writeTestJournal(t, dir, recs)
	got, _, err := replayAll(t, dir, ReplayConfig{From: recT0.Add(3 * time.Minute), To: recT0.Add(7 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var data []string
	for _, f := range got {
		data = append(data, string(f.Data))
	}
	if want := []string{"3", "4", "5", "6"}; !slices.Equal(data, want) {
		t.Errorf("frames %v, want %v: from inclusive, to exclusive", data, want)
	}
}
