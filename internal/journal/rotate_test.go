package journal_test

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/journal"
)

func TestRotatesBySize(t *testing.T) {
	const limit = 64 << 10
	// Incompressible records of 1 to 5 KB, so the size on disk grows with
	// every record, each flushed so that the size is known after it.
	rng := rand.New(rand.NewPCG(5, 5))
	var recs []journal.Record
	at := t0
	for range 300 {
		data := make([]byte, 1000+rng.IntN(4000))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		at = at.Add(time.Second)
		recs = append(recs, journal.Record{Kind: journal.KindFrame, Conn: 1, Session: 1, Time: at, Data: data})
	}
	dir := t.TempDir()
	w := newWriter(t, dir, journal.Options{SegmentBytes: limit})
	var began []int // records that began a segment
	for i, r := range recs {
		rotated, err := w.Append(r)
		if err != nil {
			t.Fatal(err)
		}
		if rotated {
			began = append(began, i)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	segs := segments(t, dir)
	// 300 records of 3 KB on average are about 900 KB: 14 segments or so.
	if len(segs) < 10 {
		t.Fatalf("%d segments of at most %d bytes for about 900 KB", len(segs), limit)
	}
	if len(began) != len(segs) || began[0] != 0 {
		t.Errorf("Append said it began a segment at records %v; there are %d segments", began, len(segs))
	}
	var all []journal.Record
	for i, path := range segs {
		got, damage := readSegment(t, path)
		if damage != nil {
			t.Errorf("%s: %v", path, damage)
		}
		size := fileSize(t, path)
		// Each segment but the last is closed at the first record after it
		// reached the limit: it is at least that big, and at most one
		// record (5 KB, and its framing) bigger.
		if i < len(segs)-1 && (size < limit || size > limit+5200) {
			t.Errorf("segment %d is %d bytes; want from %d to %d", i, size, limit, limit+5200)
		}
		if i < len(began) && len(got) > 0 && !got[0].Time.Equal(recs[began[i]].Time) {
			t.Errorf("segment %d begins with the record at %v, want record %d", i, got[0].Time, began[i])
		}
		all = append(all, got...)
	}
	if d := sameRecords(all, recs); d != "" {
		t.Error(d)
	}
}

func TestRotatesAtUTCMidnight(t *testing.T) {
	// The times are given in a zone 5 hours west of UTC: the day that counts
	// is UTC's.
	ny := time.FixedZone("EST", -5*3600)
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05.000", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	recs := []journal.Record{
		{Time: at("2026-11-30 18:00:00.000")}, // 23:00 UTC
		{Time: at("2026-11-30 18:59:59.999")}, // 23:59:59.999 UTC
		{Time: at("2026-11-30 19:00:00.000")}, // midnight UTC: new segment
		{Time: at("2026-11-30 18:59:59.998")}, // a late frame of the day before: no new segment
		{Time: at("2026-11-30 23:59:00.000")}, // local midnight, not UTC's: no new segment
		{Time: at("2026-12-02 07:00:00.000")}, // two days on: new segment
	}
	wantRotated := []bool{true, false, true, false, false, true}
	dir := t.TempDir()
	w := newWriter(t, dir, journal.Options{})
	for i := range recs {
		recs[i].Kind, recs[i].Data = journal.KindFrame, []byte{byte(i)}
		rotated, err := w.Append(recs[i])
		if err != nil {
			t.Fatal(err)
		}
		if rotated != wantRotated[i] {
			t.Errorf("record %d at %v: rotated %t, want %t", i, recs[i].Time.UTC(), rotated, wantRotated[i])
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var names []string
	var counts []int
	for _, p := range segments(t, dir) {
		names = append(names, filepath.Base(p))
		got, _ := readSegment(t, p)
		counts = append(counts, len(got))
	}
	wantNames := []string{
		"rollsniper-20261130T230000.000Z.rsj",
		"rollsniper-20261201T000000.000Z.rsj",
		"rollsniper-20261202T120000.000Z.rsj",
	}
	if !slices.Equal(names, wantNames) || !slices.Equal(counts, []int{2, 3, 1}) {
		t.Errorf("segments %v with %v records, want %v with [2 3 1]", names, counts, wantNames)
	}
	got, _ := readAll(t, dir)
	if d := sameRecords(got, recs); d != "" {
		t.Error(d)
	}
}

func TestSegmentNamesSortAsTimes(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 12, 31, 23, 59, 59, 999_000_000, time.UTC),
		time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2027, 1, 1, 0, 0, 0, 1_000_000, time.UTC),
		time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC),
		time.Date(2027, 1, 1, 10, 0, 0, 0, time.UTC),
		time.Date(2027, 10, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	var names []string
	for _, tm := range times {
		names = append(names, journal.SegmentName(tm))
		if !journal.IsSegmentName(names[len(names)-1]) {
			t.Errorf("IsSegmentName(%q) is false", names[len(names)-1])
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("names do not sort as their times: %v", names)
	}
	for _, bad := range []string{"rollsniper-20261130T145702.123Z.rsj.tmp", "notes.txt", "rollsniper-2026.rsj", "rollsniper-20261130T145702Z.rsj"} {
		if journal.IsSegmentName(bad) {
			t.Errorf("IsSegmentName(%q) is true", bad)
		}
	}
}

func TestSegmentsStartedInTheSameMillisecondDoNotCollide(t *testing.T) {
	dir := t.TempDir()
	// A file from another writer already has the name the first segment
	// would take.
	taken := writeFile(t, dir, "rollsniper-20261130T145702.123Z.rsj", []byte("someone else's"))
	w := newWriter(t, dir, journal.Options{})
	for i := range 3 {
		if _, err := w.Append(journal.Record{Kind: journal.KindFrame, Time: t0.Add(time.Duration(i) * time.Microsecond), Data: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if string(readFile(t, taken)) != "someone else's" {
		t.Error("the writer overwrote a file that was there")
	}
	var names []string
	for _, p := range segments(t, dir) {
		names = append(names, filepath.Base(p))
	}
	want := []string{
		"rollsniper-20261130T145702.123Z.rsj",
		"rollsniper-20261130T145702.124Z.rsj",
		"rollsniper-20261130T145702.125Z.rsj",
		"rollsniper-20261130T145702.126Z.rsj",
	}
	if !slices.Equal(names, want) {
		t.Errorf("segments %v, want %v", names, want)
	}
	// The journal's own segments read back in order, the stranger refused.
	got, _ := readAll(t, filepath.Join(dir, want[1]), filepath.Join(dir, want[2]), filepath.Join(dir, want[3]))
	for i, r := range got {
		if r.Data[0] != byte(i) {
			t.Errorf("record %d holds %d", i, r.Data[0])
		}
	}
	if _, err := journal.NewReader(dir); err == nil || !strings.Contains(err.Error(), taken) {
		t.Errorf("NewReader over a directory with a stranger = %v, want an error naming it", err)
	}
}

func TestRotateBetweenSegmentsDoesNothing(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, dir, journal.Options{})
	if err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if files := filesIn(t, dir); len(files) != 0 {
		t.Errorf("a writer with no record left %v", files)
	}
}
