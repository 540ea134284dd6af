package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/internal/natsrec"
	"github.com/rollsniper/rollsniper/internal/natsserver"
	"github.com/rollsniper/rollsniper/internal/natsserver/natstest"
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
		// nats, when set, starts a NATS server and returns the -nats URL
		// to publish to, login and all, and a wait like start's.
		nats func(t *testing.T) (url string, wait func(context.Context))
	}
	// A trade the whitelist wants, and a webhook that fails: every secret is
	// in play, the webhook's included.
	wanted := fakeroll.New(fakeroll.Options{Seed: 1}).NewTrade()
	wl := writeFile(t, "wl.json", fmt.Sprintf(`{"items":[{"name":%q,"joinable_only":false}]}`, wanted.TradeItems[0].MarketName))
	hook := startFailingWebhook(t)

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
		}, nil},
		{"HTTP 401 is fatal", func(t *testing.T, _, _ *lines) (string, func(context.Context)) {
			srv := rolltest.Start(t, fakeroll.Options{})
			srv.RefuseNext(1, http.StatusUnauthorized, nil)
			return srv.URL(), nil
		}, nil},
		{"HTTP 403 warns and retries", func(t *testing.T, _, _ *lines) (string, func(context.Context)) {
			srv := rolltest.Start(t, fakeroll.Options{})
			srv.RefuseNext(3, http.StatusForbidden, nil)
			return srv.URL(), func(ctx context.Context) {
				if err := srv.WaitSubscribed(ctx, 1); err != nil {
					t.Fatal(err)
				}
			}
		}, nil},
		{"close 4403 is fatal", func(t *testing.T, _, _ *lines) (string, func(context.Context)) {
			srv := rolltest.Start(t, fakeroll.Options{RequireSession: "another-session"})
			return srv.URL(), nil
		}, nil},
		{"trades flow, a match, its alert fails", func(t *testing.T, stdout, _ *lines) (string, func(context.Context)) {
			srv := rolltest.Start(t, fakeroll.Options{TradeInterval: time.Millisecond})
			return srv.URL(), func(ctx context.Context) {
				srv.Publish(wanted)
				stdout.waitFor(ctx, t, `"msg":"match"`)
				select {
				case <-hook.posted:
				case <-ctx.Done():
					t.Fatal("the alert was never posted")
				}
			}
		}, nil},
		{"NATS with a login in its URL: trades, a match, its alert fails", func(t *testing.T, stdout, _ *lines) (string, func(context.Context)) {
			srv := rolltest.Start(t, fakeroll.Options{TradeInterval: time.Millisecond})
			return srv.URL(), func(ctx context.Context) {
				srv.Publish(wanted)
				stdout.waitFor(ctx, t, `"msg":"match"`)
			}
		}, func(t *testing.T) (string, func(context.Context)) {
			nsrv := startNATSWithLogin(t, testNATSPassword, nil)
			return "nats://" + testNATSLogin + "@" + strings.TrimPrefix(nsrv.URL(), "nats://"), func(ctx context.Context) {
				waitFor(ctx, t, "a trade and the match in the stream", func() bool {
					return nsrv.StreamLen(ctx, t, natsrec.StreamName) >= 2
				})
			}
		}},
		{"NATS refuses the password in its URL", func(t *testing.T, _, _ *lines) (string, func(context.Context)) {
			// No trades: none wait to be published, so the stop is quick.
			srv := rolltest.Start(t, fakeroll.Options{})
			return srv.URL(), func(ctx context.Context) {
				if err := srv.WaitSubscribed(ctx, 1); err != nil {
					t.Fatal(err)
				}
			}
		}, func(t *testing.T) (string, func(context.Context)) {
			rec, log := logtest.New()
			nsrv := startNATSWithLogin(t, "another-password", log)
			return "nats://" + testNATSLogin + "@" + strings.TrimPrefix(nsrv.URL(), "nats://"), func(ctx context.Context) {
				waitFor(ctx, t, "the server to refuse the login", func() bool { return strings.Contains(rec.Dump(), "authentication error") })
			}
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
					"-whitelist", wl, "-discord-webhook", hook.url)
				if sc.nats != nil {
					natsURL, natsWait := sc.nats(t)
					args = append(args, "-nats", natsURL)
					feedWait := wait
					wait = func(ctx context.Context) { feedWait(ctx); natsWait(ctx) }
				}
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

// startNATSWithLogin starts a NATS server for the test whose one user,
// "trader", has password; its own log goes to log (nil discards).
func startNATSWithLogin(t *testing.T, password string, log *slog.Logger) *natstest.Server {
	t.Helper()
	return natstest.StartWith(t, natsserver.Config{User: "trader", Password: password, Log: log})
}

// failingWebhook is a local stand-in for Discord that answers every post with
// a 404 (a deleted webhook), and says when one arrives. Its URL holds the test's webhook secret.
type failingWebhook struct {
	url    string
	posted chan struct{}
}

func startFailingWebhook(t *testing.T) *failingWebhook {
	t.Helper()
	h := &failingWebhook{posted: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case h.posted <- struct{}{}:
		default:
		}
		http.Error(w, `{"message": "Unknown Webhook", "code": 10015}`, http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + strings.TrimPrefix(testWebhook, "https://discord.com")
	return h
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
