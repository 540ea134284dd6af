package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
)

// TestSecretsNeverPrinted runs the program with a session, a token and a
// webhook through every way a session can fail, at every log level, and checks
// that none of the secrets reaches stdout, stderr or the returned error.
func TestSecretsNeverPrinted(t *testing.T) {
	type scenario struct {
		name string
		// start starts the feed and returns its URL and a wait that returns
		// once the scenario has played out far enough (nil: until run returns).
		start func(t *testing.T, stdout, stderr *lines) (url string, wait func(context.Context))
	}
	scenarios := []scenario{
		{"dial fails", func(t *testing.T, _, _ *lines) (string, func(context.Context)) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			accepted := make(chan struct{}, 100)
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					c.Close() // no HTTP answer: the dial fails
					accepted <- struct{}{}
				}
			}()
			return "ws://" + ln.Addr().String() + "/ws", func(ctx context.Context) {
				for range 3 {
					select {
					case <-accepted:
					case <-ctx.Done():
						t.Fatal("the program stopped dialling")
					}
				}
			}
		}},
		{"HTTP 401 is fatal", func(t *testing.T, _, _ *lines) (string, func(context.Context)) {
			srv := rolltest.Start(t, fakeroll.Options{})
			srv.RefuseNext(1, http.StatusUnauthorized, nil)
			return srv.URL(), nil
		}},
		{"HTTP 403 warns and retries", func(t *testing.T, _, _ *lines) (string, func(context.Context)) {
			srv := rolltest.Start(t, fakeroll.Options{})
			srv.RefuseNext(3, http.StatusForbidden, nil)
			return srv.URL(), func(ctx context.Context) {
				if err := srv.WaitSubscribed(ctx, 1); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"close 4403 is fatal", func(t *testing.T, _, _ *lines) (string, func(context.Context)) {
			srv := rolltest.Start(t, fakeroll.Options{RequireSession: "another-session"})
			return srv.URL(), nil
		}},
		{"trades flow", func(t *testing.T, stdout, _ *lines) (string, func(context.Context)) {
			srv := rolltest.Start(t, fakeroll.Options{TradeInterval: time.Millisecond})
			return srv.URL(), func(ctx context.Context) { stdout.waitFor(ctx, t, `"msg":"trade"`) }
		}},
	}
	for _, level := range []string{"debug", "info", "warn", "error"} {
		for _, sc := range scenarios {
			t.Run(level+"/"+sc.name, func(t *testing.T) {
				ctx := testCtx(t)
				stdout, stderr := newLines(), newLines()
				url, wait := sc.start(t, stdout, stderr)
				args := append(fastArgs(url), "-log-level", level,
					"-session", testSession, "-token", testToken,
					"-whitelist", writeFile(t, "wl.json", `{"items":[{"name":"AK-47 | Redline"}]}`),
					"-discord-webhook", testWebhook)
				runCtx, stop := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() { done <- run(runCtx, args, stdout, stderr) }()
				var err error
				if wait != nil {
					wait(ctx)
					stop()
					err = <-done
				} else {
					err = <-done
					stop()
					if err == nil {
						t.Fatal("run returned nil, want the fatal error")
					}
				}
				for what, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "error": errText(err)} {
					assertNoSecrets(t, out)
					if t.Failed() {
						t.Logf("in %s", what)
					}
				}
			})
		}
	}
}

// waitFor waits until what was written contains s, or fails the test.
func (l *lines) waitFor(ctx context.Context, t *testing.T, s string) {
	t.Helper()
	for {
		l.mu.Lock()
		found, changed := strings.Contains(l.buf.String(), s), l.changed
		l.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("waiting for %q in:\n%s", s, l.String())
		}
	}
}

// writeFile writes content to a new file named name in a fresh directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
