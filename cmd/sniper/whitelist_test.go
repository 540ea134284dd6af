package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
)

// whitelistFor is a whitelist whose entries match trs exactly.
func whitelistFor(trs ...fakeroll.Trade) string {
	var items []string
	for _, tr := range trs {
		items = append(items, fmt.Sprintf(`{"name":%q,"joinable_only":false}`, tr.TradeItems[0].MarketName))
	}
	return `{"items":[` + strings.Join(items, ",") + `]}`
}

// otherTrade returns a trade of srv's whose item differs from those of trs.
func otherTrade(srv *fakeroll.Server, trs ...fakeroll.Trade) fakeroll.Trade {
	for {
		o := srv.NewTrade()
		if !slices.ContainsFunc(trs, func(tr fakeroll.Trade) bool { return tr.TradeItems[0].MarketName == o.TradeItems[0].MarketName }) {
			return o
		}
	}
}

// records returns stdout's JSON records whose msg is msg.
func records(t *testing.T, out, msg string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for line := range strings.Lines(out) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("stdout line is not JSON: %q", line)
		}
		if rec["msg"] == msg {
			recs = append(recs, rec)
		}
	}
	return recs
}

// webhook is a local stand-in for Discord that keeps every post.
type webhook struct {
	url    string
	mu     sync.Mutex
	bodies []string
	posted chan struct{}
}

func startWebhook(t *testing.T) *webhook {
	t.Helper()
	h := &webhook{posted: make(chan struct{}, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(body))
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		h.posted <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/api/webhooks/1/token"
	return h
}

// The whitelist decides on every trade: a match prints a match record and
// goes to Discord; the rest print only as trades.
func TestPipelineWhitelistMatchesAndAlerts(t *testing.T) {
	hook := startWebhook(t)
	var wanted fakeroll.Trade
	var base string
	tp := startPipelineArgs(t, func(srv *fakeroll.Server) []string {
		wanted = srv.NewTrade()
		return []string{"-whitelist", writeFile(t, "wl.json", whitelistFor(wanted)), "-discord-webhook", hook.url}
	}, func(tp *testPipeline) { base = startMetrics(t, tp) })
	ctx := testCtx(t)

	other := otherTrade(tp.srv, wanted)
	tp.srv.Publish(other, wanted, other)
	tp.seen.wait(ctx, t, 3)
	tp.stdout.waitFor(ctx, t, `"msg":"match"`)
	select {
	case <-hook.posted:
	case <-ctx.Done():
		t.Fatal("no alert was posted to the webhook")
	}
	got := scrape(ctx, t, base)
	for name, want := range map[string]float64{
		`rollsniper_whitelist_matches_total`:                        1,
		`rollsniper_whitelist_rejected_total{reason="no_entry"}`:    2,
		`rollsniper_whitelist_rejected_total{reason="cannot_join"}`: 0,
		`rollsniper_whitelist_entries`:                              1,
		`rollsniper_alerts_dropped_total{queue="whitelist"}`:        0,
		`rollsniper_sink_delivered_total{sink="whitelist"}`:         1, // its queue takes matches: the decisions are made at the fan-out
		`rollsniper_frame_to_decision_seconds_count`:                3, // every trade decided
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	if err := tp.stop(); err != nil {
		t.Fatal(err)
	}
	if s := tp.discord.Stats(); s.Sent != 1 || s.Failed != 0 {
		t.Errorf("discord stats %+v, want one alert sent", s)
	}

	matches := records(t, tp.stdout.String(), "match")
	if len(matches) != 1 || matches[0]["id"] != wanted.ID || matches[0]["item"] != wanted.TradeItems[0].MarketName {
		t.Fatalf("match records %v, want one for %s", matches, wanted.ID)
	}
	if lat, ok := matches[0]["latency_us"].(float64); !ok || lat <= 0 {
		t.Errorf("latency_us = %v, want a positive number of microseconds", matches[0]["latency_us"])
	}
	if entry, _ := matches[0]["entry"].(string); !strings.Contains(entry, "#0") {
		t.Errorf("entry = %q, want the entry that matched", entry)
	}
	if n := len(records(t, tp.stdout.String(), "trade")); n != 3 {
		t.Errorf("%d trade records, want all 3: the printer prints every trade", n)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	if len(hook.bodies) != 1 || !strings.Contains(hook.bodies[0], wanted.TradeItems[0].MarketName) {
		t.Errorf("webhook got %q, want one embed for %s", hook.bodies, wanted.TradeItems[0].MarketName)
	}
	s := tp.whitelist.Stats()
	if s.Matched != 1 {
		t.Errorf("whitelist matched %d, want 1", s.Matched)
	}
}

func TestCheckWhitelist(t *testing.T) {
	good := writeFile(t, "good.json", `{"defaults":{"max_markup":8},"items":[{"name":"AK-47 | Redline","wear":"FT"},{"name":"AWP | Asiimov"}]}`)
	bad := writeFile(t, "bad.json", `{"items":[{"name":"AK-47 | Redline","wear":"Fresh"},{"name":"AWP | Asiimov","min_price":9,"max_price":2},{"name":"AK-47 | Vulcan"},{"name":"ak-47 |  VULCAN"}]}`)
	typos := writeFile(t, "typos.json", `{"items":[{"name":"AK-47 | Redlien"},{"name":"AK47 Redline"},{"name":"Karambit Dopler"},{"name":"asdfghjkl"}]}`)
	unlisted := writeFile(t, "unlisted.json", `{"items":[{"name":"AWP | Asiimov"},{"name":"Sticker | Crown (Foil)"},{"name":"Kilowatt Case","unchecked":true}]}`)
	tests := []struct {
		name    string
		args    []string
		stdout  []string // lines stdout must hold
		stderr  []string // lines stderr must hold
		problem []string // what the error must say; none: no error
	}{
		{"good file", []string{"-whitelist", good}, []string{good + ": 2 entries, OK\n", "#0 AK-47 | Redline, Field-Tested, max markup 8%"}, nil, nil},
		{"names that are no item", []string{"-whitelist", typos}, nil, nil, []string{
			`items[0].name: AK-47 has no finish "Redlien": did you mean "AK-47 | Redline"?`,
			`items[1].name: unknown item "AK47 Redline": did you mean "AK-47 | Redline"?`,
			`items[2].name: unknown item "Karambit Dopler": did you mean "★ Karambit | Doppler"?`,
			`items[3].name: unknown item "asdfghjkl"`, `"unchecked": true`}},
		{"a name it could not check", []string{"-whitelist", unlisted}, []string{unlisted + ": 3 entries, OK (1 warning)"},
			[]string{unlisted + `: warning: items[1].name: "Sticker | Crown (Foil)" could not be checked`}, nil},
		{"every problem", []string{"-whitelist", bad}, nil, nil, []string{
			`items[0].wear: unknown wear tier "Fresh"`, "items[1].min_price: 9 is above max_price 2", "items[3]", "items[2]", "sniper check -whitelist FILE"}},
		{"missing file", []string{"-whitelist", filepath.Join(t.TempDir(), "none.json")}, nil, nil, []string{"-whitelist (ROLL_WHITELIST)", "no such file"}},
		{"no whitelist", nil, nil, nil, []string{"nothing to check: name the whitelist with -whitelist FILE"}},
		{"other settings too", []string{"-whitelist", good, "-ping-interval", "soon"}, nil, nil, []string{"-ping-interval (ROLL_PING_INTERVAL)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(testCtx(t), append([]string{"check"}, tt.args...), &stdout, &stderr)
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout does not say %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
				}
			}
			if tt.stderr == nil && stderr.Len() > 0 {
				t.Errorf("stderr: %s", stderr.String())
			}
			if tt.problem == nil {
				if err != nil {
					t.Fatalf("check = %v, want nil", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || exitCode(err) != 2 {
				t.Fatalf("check = %v, want a ConfigError (exit 2)", err)
			}
			for _, want := range tt.problem {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
		})
	}
}

// The real binary: SIGHUP reloads the whitelist, a broken file keeps the old
// one, and a good file's change is picked up on its own.
func TestBinarySIGHUPReloadsWhitelist(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	first := srv.NewTrade()
	second := otherTrade(srv, first)
	// Every version of the whitelist matches the sentinel: the whitelist
	// decides in order, so once the sentinel's match is out, so is any match
	// for the trade before it.
	sentinel := otherTrade(srv, first, second)
	path := writeFile(t, "wl.json", whitelistFor(first, sentinel))
	cmd, sc, stderr := startSniper(ctx, t, srv, "-whitelist", path)

	// matched publishes tr and reports whether it matched.
	matched := func(tr fakeroll.Trade) bool {
		t.Helper()
		srv.Publish(tr, sentinel)
		var isMatch, sentinelMatch, sentinelTrade bool
		for !sentinelMatch || !sentinelTrade {
			if !sc.Scan() {
				t.Fatalf("stdout ended; stderr:\n%s", stderr)
			}
			var rec struct{ Msg, ID string }
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("stdout: %q: %v", sc.Text(), err)
			}
			switch {
			case rec.ID == sentinel.ID:
				sentinelMatch = sentinelMatch || rec.Msg == "match"
				sentinelTrade = sentinelTrade || rec.Msg == "trade"
			case rec.ID == tr.ID:
				isMatch = isMatch || rec.Msg == "match"
			default:
				t.Fatalf("stdout has %s for %s, want %s or the sentinel", rec.Msg, rec.ID, tr.ID)
			}
		}
		return isMatch
	}
	reload := func(content string, want string, n int) {
		t.Helper()
		// Written in place under another name and renamed, as editors do.
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		// The file's change may be seen by the poll first; the reload that
		// SIGHUP asked for is logged as well, and named as its trigger.
		stderr.waitUntil(ctx, t, fmt.Sprintf("%d of %s after SIGHUP", n, want), func() bool {
			found := 0
			for line := range strings.Lines(stderr.buf.String()) {
				if strings.Contains(line, want) && strings.Contains(line, `"trigger":"SIGHUP"`) {
					found++
				}
			}
			return found >= n
		})
	}

	if !matched(first) || matched(second) {
		t.Fatal("the first whitelist does not decide as written")
	}
	reload(whitelistFor(second, sentinel), `"msg":"whitelist reloaded"`, 1)
	if matched(first) || !matched(second) {
		t.Error("after SIGHUP the new whitelist is not in use")
	}
	reload(`{"items":[{"name":"AK-47 | Redline","wear":"Fresh"}]}`, `"msg":"whitelist reload failed; keeping the previous whitelist"`, 1)
	if !strings.Contains(stderr.String(), `unknown wear tier`) {
		t.Errorf("the failed reload does not say why:\n%s", stderr)
	}
	if matched(first) || !matched(second) {
		t.Error("after a broken reload the previous whitelist is not in use")
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; stderr:\n%s", err, stderr)
	}
}
