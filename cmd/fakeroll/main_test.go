package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

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
