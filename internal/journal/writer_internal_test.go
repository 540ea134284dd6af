package journal

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestAWriteErrorGivesUpTheSegmentOnly(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	at := time.Date(2026, 11, 30, 14, 57, 2, 0, time.UTC)
	rec := func(i int) Record {
		return Record{Kind: KindFrame, Conn: 1, Time: at.Add(time.Duration(i) * time.Second), Data: []byte{byte(i)}}
	}
	for i := range 3 {
		if _, err := w.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	first := w.Segment()
	if _, err := w.Append(rec(3)); err != nil {
		t.Fatal(err)
	}
	// The file fails under the writer, as a disk error would make it.
	w.f.Close()
	err = w.Flush()
	if err == nil || !strings.Contains(err.Error(), first) || !strings.Contains(err.Error(), "given up") {
		t.Fatalf("Flush on a failed file = %v, want an error naming %s and saying it is given up", err, first)
	}
	if w.Segment() != "" {
		t.Errorf("the failed segment %s is still open", w.Segment())
	}
	rotated, err := w.Append(rec(4))
	if err != nil || !rotated {
		t.Fatalf("Append after the failure = %t, %v; want a new segment", rotated, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The first segment keeps what was flushed before the failure; the
	// record appended since is lost; the next segment has the rest.
	r, err := NewReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []byte
	for rec, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec.Data...)
	}
	if !bytes.Equal(got, []byte{0, 1, 2, 4}) || len(r.Damage()) > 0 {
		t.Errorf("read records %v, damage %v; want [0 1 2 4] and none", got, r.Damage())
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the end: %v", err)
	}
}
