package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var writeCorpus = flag.Bool("journal.write-corpus", false, "rewrite the checked-in seed corpus of FuzzReadSegment in testdata/fuzz")

// corpusSegments returns small segments, whole and broken, by name: the seeds
// of FuzzReadSegment.
func corpusSegments(t testing.TB) map[string][]byte {
	at := time.Date(2026, 11, 30, 14, 57, 2, 123456789, time.UTC)
	recs := []Record{
		{Kind: KindSessionStart, Conn: 1, Session: 1, Time: at, Data: []byte("createTrades")},
		{Kind: KindFrame, Conn: 1, Session: 1, Time: at.Add(time.Second), Data: []byte(`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"VHJhZGU6MzI5OTM0NzI","markupPercent":8}]}}}}`)},
		{Kind: KindFrame, Conn: 2, Session: 1, Time: at.Add(1500 * time.Millisecond), Data: []byte(`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"VHJhZGU6MzI5OTM0NzI","tradeItems":null}]}}}}`)},
		DroppedRecord(at.Add(2*time.Second), 3),
		{Kind: KindFrame, Conn: 1, Session: 1, Time: at.Add(3 * time.Second), Data: []byte(`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[`)},
		{Kind: KindSessionEnd, Conn: 1, Session: 1, Time: at.Add(4 * time.Second), Data: []byte("dropped")},
	}
	write := func(closeIt, store bool) []byte {
		dir := t.TempDir()
		w, err := NewWriter(dir, Options{Writer: "rollsniper fuzz", Store: store})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if _, err := w.Append(r); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		path := w.Segment()
		if closeIt {
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !closeIt {
			w.Close()
		}
		return b
	}
	closed, open := write(true, false), write(false, false)
	storedClosed, storedOpen := write(true, true), write(false, true)
	flipped := bytes.Clone(closed)
	flipped[len(flipped)/2] ^= 0x01
	version := bytes.Clone(closed)
	binary.LittleEndian.PutUint16(version[8:], 9)
	return map[string][]byte{
		"closed":          closed,
		"open":            open,
		"torn_chunk":      open[:len(open)-5],
		"torn_header":     open[:15],
		"garbage_tail":    append(bytes.Clone(closed), "garbage after the end\n"...),
		"zero_tail":       append(bytes.Clone(open), make([]byte, 12)...),
		"bit_flip":        flipped,
		"version_9":       version,
		"not_a_journal":   []byte(`{"items": []}`),
		"header_only":     closed[:binary.LittleEndian.Uint16(closed[10:])],
		"empty":           {},
		"magic_only":      []byte(magic),
		"huge_chunk":      append(closed[:binary.LittleEndian.Uint16(closed[10:])], 0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4),
		"two_in_a_row":    append(bytes.Clone(closed), closed...),
		"chunk_but_empty": append(closed[:binary.LittleEndian.Uint16(closed[10:])], 0, 0, 0, 0, 0, 0, 0, 0),
		"stored_closed":   storedClosed,
		"stored_open":     storedOpen,
		"stored_torn":     storedOpen[:len(storedOpen)-5],
	}
}

// TestWriteFuzzCorpus rewrites the checked-in seeds when asked to
// (-journal.write-corpus), after a change of format. The seeds named v1_*
// were written by the version 1 writer; they stay, so that the fuzzer keeps
// reading version 1 files.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -journal.write-corpus to rewrite testdata/fuzz/FuzzReadSegment")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReadSegment")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range corpusSegments(t) {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzReadSegment reads arbitrary bytes as a segment file. The reader must
// never panic nor fail once the header is accepted, must report any damage
// as a part running to the end of the file, and must hand out only records
// that a writer writes back to the same records.
func FuzzReadSegment(f *testing.F) {
	for _, b := range corpusSegments(f) {
		f.Add(b)
	}
	s := &SegmentReader{}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := s.reset(bytes.NewReader(data), int64(len(data)), "fuzz.rsj")
		var ne *NotJournalError
		var ve *VersionError
		switch {
		case errors.As(err, &ne), errors.As(err, &ve):
			return
		case err != nil:
			t.Fatalf("reset: %v", err)
		}
		var recs []Record
		for {
			r, err := s.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("Next after %d records: %v", len(recs), err)
			}
			if len(r.Data) > MaxData || r.Time.Location() != time.UTC {
				t.Fatalf("record %d: %d bytes, time %v", len(recs), len(r.Data), r.Time)
			}
			r.Data = bytes.Clone(r.Data)
			recs = append(recs, r)
		}
		if d := s.Damage(); d != nil {
			if d.Offset < 0 || d.Bytes < 0 || d.Offset+d.Bytes != int64(len(data)) || d.Records != int64(len(recs)) || d.Reason == "" {
				t.Fatalf("damage %+v in a file of %d bytes, after %d records", d, len(data), len(recs))
			}
		}
		if len(recs) == 0 {
			return
		}
		// What came out is what a writer puts in.
		dir := t.TempDir()
		w, err := NewWriter(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Time.Year() < 1678 || r.Time.Year() > 2261 {
				w.Close()
				return // a time only a crafted file holds
			}
			if _, err := w.Append(r); err != nil {
				t.Fatal(err)
			}
		}
		path := w.Segment()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		back, err := OpenSegment(path)
		if err != nil {
			t.Fatal(err)
		}
		defer back.Close()
		for i, want := range recs {
			got, err := back.Next()
			if err != nil {
				t.Fatalf("record %d written back: %v", i, err)
			}
			if got.Kind != want.Kind || got.Conn != want.Conn || got.Session != want.Session || !got.Time.Equal(want.Time) || !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("record %d written back as %+v, was %+v", i, got, want)
			}
		}
		if _, err := back.Next(); !errors.Is(err, io.EOF) || back.Damage() != nil {
			t.Fatalf("after the records written back: %v, damage %v", err, back.Damage())
		}
	})
}
