package actors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/journal/journaltest"
	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// recT0 is when the recorder tests' frames are received.
var recT0 = time.Date(2026, 11, 30, 14, 57, 2, 0, time.UTC)

// newTestRecorder returns a recorder of a stored journal in a new directory,
// with cfg's settings and segments of segBytes (0: the default).
func newTestRecorder(t *testing.T, cfg RecorderConfig, segBytes int64) (*Recorder, *logtest.Recorder, string) {
	t.Helper()
	dir := t.TempDir()
	w, err := journal.NewWriter(dir, journal.Options{Store: true, SegmentBytes: segBytes})
	if err != nil {
		t.Fatal(err)
	}
	logs, log := logtest.New()
	cfg.Writer, cfg.Log = w, log
	return NewRecorder(cfg), logs, dir
}

// runRecorder runs r until the returned stop is called, which waits for Run
// to return and returns its error.
func runRecorder(t *testing.T, r *Recorder) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitUntil waits, for at most 10 s, until cond holds, letting other
// goroutines run.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		runtime.Gosched()
	}
}

// testFrame is frame i of session 1, received i milliseconds after recT0.
func testFrame(i int) messages.Frame {
	return messages.Frame{Data: fmt.Appendf(nil, `{"type":"next","n":%d}`, i), ReceivedAt: recT0.Add(time.Duration(i) * time.Millisecond), Session: 1}
}

// readJournal returns every record of the journal in dir, Data copied, and
// fails the test on damage.
func readJournal(t *testing.T, dir string) []journal.Record {
	t.Helper()
	recs, damage := journaltest.ReadAll(t, dir)
	if len(damage) > 0 {
		t.Fatalf("damage in the journal: %v", damage)
	}
	return recs
}

// describeRecords is recs as kind:conn:session:data, one a line, for
// comparing.
func describeRecords(recs []journal.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		data := string(r.Data)
		if n, ok := r.Dropped(); ok {
			data = fmt.Sprint(n)
		}
		out[i] = fmt.Sprintf("%v:%d:%d:%s", r.Kind, r.Conn, r.Session, data)
	}
	return out
}

func TestRecorderJournalsWhatItsTapsSee(t *testing.T) {
	rec, _, dir := newTestRecorder(t, RecorderConfig{}, 0)
	stop := runRecorder(t, rec)
	a, b := rec.Tap(1), rec.Tap(2)
	a.SessionStarted(1, recT0, "createTrades")
	a.Frame(testFrame(1))
	b.SessionStarted(7, recT0.Add(time.Millisecond), "createTrades")
	b.Frame(messages.Frame{Data: []byte("not json"), ReceivedAt: recT0.Add(2 * time.Millisecond), Session: 7})
	a.Frame(testFrame(3))
	a.SessionEnded(1, recT0.Add(4*time.Millisecond), "the connection was dropped")
	b.SessionEnded(6, recT0.Add(5*time.Millisecond), "a session that never subscribed")
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	got := readJournal(t, dir)
	want := []string{
		"session-start:1:1:createTrades",
		`frame:1:1:{"type":"next","n":1}`,
		"session-start:2:7:createTrades",
		"frame:2:7:not json",
		`frame:1:1:{"type":"next","n":3}`,
		"session-end:1:1:the connection was dropped",
	}
	if d := describeRecords(got); !slices.Equal(d, want) {
		t.Errorf("journal:\n%q\nwant\n%q", d, want)
	}
	for i, at := range []time.Duration{0, 1, 1, 2, 3, 4} {
		if want := recT0.Add(at * time.Millisecond); !got[i].Time.Equal(want) {
			t.Errorf("record %d at %v, want %v (the receive time)", i, got[i].Time, want)
		}
	}
	if s := rec.Stats(); s.Recorded != 3 || s.Dropped != 0 || s.Failed != 0 {
		t.Errorf("stats %+v, want 3 frames recorded", s)
	}
}

func TestRecorderTapNeverBlocksAndNotesDrops(t *testing.T) {
	// The recorder is not running: the queue fills and the tap goes on
	// returning, dropping and counting.
	rec, logs, dir := newTestRecorder(t, RecorderConfig{Queue: 4}, 0)
	tap := rec.Tap(1)
	for i := range 10 {
		tap.Frame(testFrame(i))
	}
	if s := rec.Stats(); s.Dropped != 6 || s.Queued != 4 {
		t.Fatalf("stats %+v, want 4 queued and 6 dropped", s)
	}
	stop := runRecorder(t, rec)
	waitUntil(t, "the queue to be written", func() bool { return rec.Stats().Recorded == 4 })
	tap.Frame(testFrame(10))
	tap.Frame(testFrame(11))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`frame:1:1:{"type":"next","n":0}`, `frame:1:1:{"type":"next","n":1}`,
		`frame:1:1:{"type":"next","n":2}`, `frame:1:1:{"type":"next","n":3}`,
		"dropped:0:0:6",
		`frame:1:1:{"type":"next","n":10}`, `frame:1:1:{"type":"next","n":11}`,
	}
	if d := describeRecords(readJournal(t, dir)); !slices.Equal(d, want) {
		t.Errorf("journal:\n%q\nwant\n%q", d, want)
	}
	warns := logs.Matching("recorder queue full: frames were not recorded")
	if len(warns) != 1 || warns[0].Attrs["dropped"].Uint64() != 6 {
		t.Errorf("logged %v, want one warning for the streak of 6", warns)
	}
}

func TestRecorderQueueIsBoundedInBytes(t *testing.T) {
	rec, _, dir := newTestRecorder(t, RecorderConfig{QueueBytes: 100}, 0)
	tap := rec.Tap(1)
	big := messages.Frame{Data: bytes.Repeat([]byte("x"), 60), ReceivedAt: recT0, Session: 1}
	tap.Frame(big)
	tap.Frame(big) // 120 bytes would wait: dropped
	if s := rec.Stats(); s.Queued != 1 || s.Dropped != 1 {
		t.Fatalf("stats %+v, want 1 queued and 1 dropped", s)
	}
	stop := runRecorder(t, rec)
	stop()
	// Drops no record followed are noted at the end.
	want := []string{"frame:1:1:" + string(big.Data), "dropped:0:0:1"}
	if d := describeRecords(readJournal(t, dir)); !slices.Equal(d, want) {
		t.Errorf("journal:\n%q\nwant\n%q", d, want)
	}
}

func TestRecorderDrainsItsQueueOnShutdown(t *testing.T) {
	rec, _, dir := newTestRecorder(t, RecorderConfig{}, 0)
	tap := rec.Tap(1)
	for i := range 500 {
		tap.Frame(testFrame(i))
	}
	// A context already ended: Run writes what is queued and closes.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rec.Run(ctx); err != nil {
		t.Fatal(err)
	}
	got := readJournal(t, dir)
	if len(got) != 500 || rec.Stats().Recorded != 500 {
		t.Fatalf("%d records in the journal, %d recorded; want 500", len(got), rec.Stats().Recorded)
	}
	// Closed cleanly: the stored stream is ended, as only Close ends it.
	segs, _ := journal.ListSegments(dir)
	file, err := os.ReadFile(segs[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if last := file[len(file)-3]; last&1 != 1 {
		t.Errorf("the segment's last block is not marked last: it was not closed")
	}
	if _, ok := <-rec.Closed(); ok {
		t.Errorf("Closed is still open after Run returned")
	}
}

func TestRecorderSyncsEverySecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec, _, dir := newTestRecorder(t, RecorderConfig{}, 0)
		stop := runRecorder(t, rec)
		rec.Tap(1).Frame(testFrame(1))
		synctest.Wait()
		onDisk := func() int {
			segs, err := journal.ListSegments(dir)
			if err != nil || len(segs) != 1 {
				t.Fatalf("segments %v, %v", segs, err)
			}
			s, err := journal.OpenSegment(segs[0].Path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			n := 0
			for {
				if _, err := s.Next(); errors.Is(err, io.EOF) {
					return n
				} else if err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
		if n := onDisk(); n != 0 {
			t.Fatalf("%d records on disk before the first second, want 0: the recorder syncs every second, not every frame", n)
		}
		time.Sleep(999 * time.Millisecond)
		synctest.Wait()
		if n := onDisk(); n != 0 {
			t.Fatalf("%d records on disk before the first second, want 0", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if n := onDisk(); n != 1 {
			t.Fatalf("%d records on disk after a second, want 1", n)
		}
		rec.Tap(1).Frame(testFrame(2))
		time.Sleep(time.Second)
		synctest.Wait()
		if n := onDisk(); n != 2 {
			t.Fatalf("%d records on disk after two seconds, want 2", n)
		}
		stop()
	})
}

func TestRecorderRotatesPrunesAndHandsOffClosedSegments(t *testing.T) {
	const segBytes, maxBytes = 16 << 10, 64 << 10
	rec, logs, dir := newTestRecorder(t, RecorderConfig{MaxBytes: maxBytes}, segBytes)
	stop := runRecorder(t, rec)
	tap := rec.Tap(1)
	data := bytes.Repeat([]byte("0123456789abcdef"), 64) // 1 KiB a frame
	const n = 400
	for i := range n {
		tap.Frame(messages.Frame{Data: append(fmt.Appendf(nil, "%04d", i), data...), ReceivedAt: recT0.Add(time.Duration(i) * time.Second), Session: 1})
	}
	waitUntil(t, "every frame to be written", func() bool { return rec.Stats().Recorded == n })
	stop()
	var handed []string
	for p := range rec.Closed() {
		handed = append(handed, p)
	}
	if s := rec.Stats(); s.Recorded != n || s.Dropped != 0 {
		t.Fatalf("stats %+v, want %d recorded, none dropped", s, n)
	}
	segs, err := journal.ListSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, s := range segs {
		total += s.Size
	}
	if total > maxBytes+segBytes+2<<10 || len(segs) < 3 {
		t.Errorf("%d segments of %d bytes in all; want several, within -record-max %d plus the open segment", len(segs), total, maxBytes)
	}
	// What is left is the newest frames, in order, to the last.
	got := readJournal(t, dir)
	if len(got) == 0 || len(got) == n {
		t.Fatalf("%d records left of %d: want the oldest pruned", len(got), n)
	}
	first := n - len(got)
	for i, r := range got {
		if want := fmt.Sprintf("%04d", first+i); string(r.Data[:4]) != want {
			t.Fatalf("record %d is frame %s, want %s: the journal must keep the newest frames, in order", i, r.Data[:4], want)
		}
	}
	// Every segment closed by a rotation was handed to the compactor,
	// oldest first; the last, open until Run returned, was not.
	if len(handed) < 5 || !slices.IsSorted(handed) || slices.Contains(handed, segs[len(segs)-1].Path) {
		t.Errorf("handed %d segments: %v; want every closed one, oldest first, not the last", len(handed), handed)
	}
	if len(logs.Matching("deleted the oldest journal segments to keep under -record-max")) == 0 {
		t.Errorf("pruning was not logged")
	}
}

func TestRecorderStartCleansUpAfterAnEarlierRun(t *testing.T) {
	dir := t.TempDir()
	// An earlier run left two stored segments and half a compaction.
	var left []string
	for i := range 2 {
		rec := journal.Record{Kind: journal.KindFrame, Time: recT0.Add(time.Duration(i) * time.Hour), Data: []byte("old")}
		left = append(left, journaltest.Write(t, dir, journal.Options{Store: true}, []journal.Record{rec}, false, false))
	}
	unfinished := left[0] + ".compacting"
	if err := os.WriteFile(unfinished, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := journal.NewWriter(dir, journal.Options{Store: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(RecorderConfig{Writer: w})
	stop := runRecorder(t, rec)
	for _, want := range left {
		if got := <-rec.Closed(); got != want {
			t.Errorf("handed %s, want %s", filepath.Base(got), filepath.Base(want))
		}
	}
	stop()
	if _, err := os.Stat(unfinished); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the unfinished compaction's file is still there: %v", err)
	}
}

func TestRecorderWriteFailuresAreCountedAndItRecovers(t *testing.T) {
	rec, logs, dir := newTestRecorder(t, RecorderConfig{}, 0)
	// The directory is replaced by a file: creating a segment fails.
	if err := os.RemoveAll(dir); err != nil { // the writer's lock file with it
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	stop := runRecorder(t, rec)
	tap := rec.Tap(1)
	tap.Frame(testFrame(1))
	tap.Frame(testFrame(2))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	logs.WaitCount(ctx, t, "cannot record: the records until it works again are lost", 1)
	waitUntil(t, "both frames to fail", func() bool { return rec.Stats().Failed == 2 })
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tap.Frame(testFrame(3))
	stop()
	if s := rec.Stats(); s.Failed != 2 || s.Recorded != 1 {
		t.Errorf("stats %+v, want 2 failed, then 1 recorded", s)
	}
	if n := len(logs.Matching("cannot record: the records until it works again are lost")); n != 1 {
		t.Errorf("the failure was logged %d times, want once for the streak", n)
	}
	if len(logs.Matching("recording again")) != 1 {
		t.Errorf("the recovery was not logged")
	}
	if d := describeRecords(readJournal(t, dir)); !slices.Equal(d, []string{`frame:1:1:{"type":"next","n":3}`}) {
		t.Errorf("journal %q", d)
	}
}

func TestConnTapSeesSessionsAndFramesInOrder(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{})
	rec, _, dir := newTestRecorder(t, RecorderConfig{}, 0)
	stopRec := runRecorder(t, rec)
	h := connRun(t, srv, func(c *ConnConfig) { c.Tap = rec.Tap(1) })
	h.waitSubscribed(t, 1)
	var parsed [][]byte
	srv.Publish(srv.NewTrade())
	srv.SendRaw([]byte(`{"id":"1","type":"next","payload":{"data":{"createTrades":null}}}`))
	parsed = append(parsed, h.frame(t).Data, h.frame(t).Data)
	srv.DropAll()
	h.waitSubscribed(t, 2)
	srv.Publish(srv.NewTrade(), srv.NewTrade())
	parsed = append(parsed, h.frame(t).Data)
	if err := h.stop(t); err != nil {
		t.Fatal(err)
	}
	stopRec()

	got := readJournal(t, dir)
	var kinds []string
	var frames [][]byte
	for _, r := range got {
		kinds = append(kinds, fmt.Sprintf("%v:%d", r.Kind, r.Session))
		if r.Kind == journal.KindFrame {
			frames = append(frames, r.Data)
		}
	}
	want := []string{"session-start:1", "frame:1", "frame:1", "session-end:1", "session-start:2", "frame:2", "session-end:2"}
	if !slices.Equal(kinds, want) {
		t.Errorf("journal %v, want %v", kinds, want)
	}
	if !slices.EqualFunc(frames, parsed, bytes.Equal) {
		t.Errorf("the journal's frames differ from those the parser was handed")
	}
	if len(got) == len(want) {
		if string(got[0].Data) != "createTrades" || !bytes.Contains(got[3].Data, []byte("dropped")) || string(got[6].Data) != "shutdown" {
			t.Errorf("session notes %q, %q, %q", got[0].Data, got[3].Data, got[6].Data)
		}
	}
}

func TestRecorderIsBusyForASecondAfterABurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec, _, _ := newTestRecorder(t, RecorderConfig{BusyFrames: 10}, 0)
		stop := runRecorder(t, rec)
		tap := rec.Tap(1)
		for i := range 10 {
			tap.Frame(testFrame(i))
		}
		if rec.Busy() {
			t.Fatal("busy after 10 frames in a second, the limit")
		}
		tap.Frame(testFrame(10))
		if !rec.Busy() {
			t.Fatal("not busy after 11 frames in a second")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if !rec.Busy() {
			t.Fatal("not busy in the second after the burst")
		}
		tap.Frame(testFrame(11))
		time.Sleep(time.Second)
		synctest.Wait()
		if rec.Busy() {
			t.Fatal("busy after a second of one frame")
		}
		stop()
	})
}

func TestRecorderPrunesAnOversizedJournalAtTheStart(t *testing.T) {
	// -record-max was lowered since the last run: the oldest segments go
	// before the first frame is recorded.
	dir := t.TempDir()
	data := make([]byte, 10<<10) // incompressible: a segment of 10 KiB
	rand.NewChaCha8([32]byte{1}).Read(data)
	var left []string
	for i := range 4 {
		rec := journal.Record{Kind: journal.KindFrame, Time: recT0.Add(time.Duration(i) * time.Hour), Data: data}
		left = append(left, journaltest.Write(t, dir, journal.Options{}, []journal.Record{rec}, false, false))
	}
	w, err := journal.NewWriter(dir, journal.Options{Store: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(RecorderConfig{Writer: w, MaxBytes: 25 << 10})
	stop := runRecorder(t, rec)
	// No frame comes: the start alone prunes.
	waitUntil(t, "the oldest segment to be deleted", func() bool {
		_, err := os.Stat(left[0])
		return err != nil
	})
	stop()
	for i, p := range left {
		_, err := os.Stat(p)
		if kept := err == nil; kept != (i >= 2) {
			t.Errorf("segment %d of 4 kept %t; want the two newest kept under 25 KiB", i, kept)
		}
	}
}
