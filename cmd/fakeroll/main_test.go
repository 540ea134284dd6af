package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/rollsniper/rollsniper/internal/journal"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRunServesTradesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, outW := io.Pipe()
	var logs strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-rate", "200", "-batch", "2", "-seed", "9"}, outW, &logs)
		outW.Close()
	}()

	url, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL: %v", err)
	}
	url = strings.TrimSpace(url)
	if !strings.HasPrefix(url, "ws://127.0.0.1:") {
		t.Fatalf("printed %q, want a ws URL", url)
	}

	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	ws, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{
		HTTPClient:   &http.Client{Transport: tr},
		Subprotocols: []string{gqlws.Subprotocol},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	sub, _ := json.Marshal(gqlws.SubCreateTrades.Payload())
	for _, m := range []string{`{"type":"connection_init"}`, `{"id":"1","type":"subscribe","payload":` + string(sub) + `}`} {
		if err := ws.Write(dctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	var types []string
	for len(types) < 3 {
		_, data, err := ws.Read(dctx)
		if err != nil {
			t.Fatal(err)
		}
		var env gqlws.Envelope
		if err := json.Unmarshal(data, &env); err != nil {
			t.Fatal(err)
		}
		types = append(types, env.Type)
	}
	if want := "connection_ack next next"; strings.Join(types, " ") != want {
		t.Errorf("server sent %v, want %s", types, want)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, _, err := ws.Read(dctx); err == nil {
		t.Error("connection still open after run returned")
	}
	if !strings.Contains(logs.String(), "stopping") {
		t.Errorf("logs:\n%s", logs.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-rate", "-1"},
		{"-batch", "0"},
		{"-drop-every", "-1s"},
		{"-nope"},
		{"extra"},
		{"-generate", "1h"},
		{"-generate", "-1h", "-out", t.TempDir()},
		{"-out", t.TempDir()},
		{"-start", "2026-11-30"},
		{"-generate", "1h", "-out", t.TempDir(), "-start", "yesterday"},
		{"-generate", "1h", "-out", t.TempDir(), "-rate", "0"},
	} {
		var stderr strings.Builder
		err := run(context.Background(), args, io.Discard, &stderr)
		if !errors.As(err, new(usageError)) {
			t.Errorf("run %v = %v, want a usage error", args, err)
		}
	}
}

func TestRunReportsListenErrors(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "127.0.0.1:-1"}, io.Discard, io.Discard)
	if err == nil || errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "listen 127.0.0.1:-1") {
		t.Errorf("run = %v, want a listen error", err)
	}
}

func TestGenerateWritesAJournal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "journal")
	args := []string{"-generate", "90m", "-out", dir, "-start", "2026-11-30T23:00:00Z", "-seed", "4"}
	var stdout strings.Builder
	if err := run(context.Background(), args, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	// The summary's counts, checked against the journal read back.
	var trades, frames, malformed int
	summary := stdout.String()
	if _, err := fmt.Sscanf(summary[strings.Index(summary, ": ")+2:], "%d trades in %d frames (%d malformed", &trades, &frames, &malformed); err != nil {
		t.Fatalf("summary %q: %v", summary, err)
	}
	for _, want := range []string{"1h30m0s of feed from 2026-11-30T23:00:00Z into " + dir, "2 segments", "seed 4"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary %q does not say %q", summary, want)
		}
	}
	r, err := journal.NewReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var gotFrames, gotTrades, gotMalformed int
	for rec, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Kind != journal.KindFrame {
			continue
		}
		gotFrames++
		n := strings.Count(string(rec.Data), `"status":"LISTED"`)
		if strings.Contains(string(rec.Data), `"itemVariant":null`) || strings.Contains(string(rec.Data), `"tradeItems":null`) {
			gotMalformed++
		} else {
			gotTrades += n
		}
	}
	if gotFrames != frames || gotTrades != trades || gotMalformed != malformed {
		t.Errorf("read %d frames, %d trades, %d malformed; the summary says %d, %d, %d", gotFrames, gotTrades, gotMalformed, frames, trades, malformed)
	}
	// About 1.1 a second (the 23:00 hour is busier than the mean).
	if trades < 5000 || trades > 9000 {
		t.Errorf("%d trades in 90 minutes", trades)
	}

	// The same seed and start again: the same bytes. Into a directory
	// that already holds a journal: refused.
	again := filepath.Join(t.TempDir(), "again")
	if err := run(context.Background(), append(args[:3:3], again, "-start", "2026-11-30T23:00:00Z", "-seed", "4"), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	segs, err := filepath.Glob(filepath.Join(dir, "*.rsj"))
	if err != nil || len(segs) != 2 {
		t.Fatalf("%s holds %v (%v), want 2 segments", dir, segs, err)
	}
	for _, seg := range segs {
		a, errA := os.ReadFile(seg)
		b, errB := os.ReadFile(filepath.Join(again, filepath.Base(seg)))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with the same seed (%v, %v)", filepath.Base(seg), errA, errB)
		}
	}
	err = run(context.Background(), args, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already holds a journal") {
		t.Errorf("a second run into %s = %v, want a refusal", dir, err)
	}
}

func TestGenerateStartsBeforeNowByDefault(t *testing.T) {
	dir := t.TempDir()
	before := time.Now()
	if err := run(context.Background(), []string{"-generate", "10m", "-out", dir}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	r, err := journal.NewReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	first, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	// The journal ends about when it was made.
	if want := before.Add(-10 * time.Minute); first.Time.Before(want.Add(-time.Second)) || first.Time.After(want.Add(time.Second)) {
		t.Errorf("journal starts at %v, want about %v", first.Time, want)
	}
}
