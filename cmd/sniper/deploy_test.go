package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// The deploy folder's files, from this package's directory.
const (
	rulesFile     = "../../deploy/prometheus/rollsniper-rules.yml"
	dashboardFile = "../../deploy/grafana/rollsniper-dashboard.json"
	unitFile      = "../../deploy/rollsniper.service"
	envExample    = "../../deploy/rollsniper.env.example"
)

// scrapeReleaseBinary runs the release build on its demo feed with every
// sink that has metrics (the demo's whitelist, Discord alerts to a local
// server) and returns one scrape of its /metrics, as sample → value.
func scrapeReleaseBinary(t *testing.T) map[string]float64 {
	t.Helper()
	bin := releaseBinary(t) // built before the clock starts: a cold build is slow
	ctx := testCtx(t)
	discord := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(discord.Close)

	// Every part that serves metrics of its own runs: the demo's feed, the
	// whitelist, Discord alerts, the recorder, and the NATS publisher with
	// its embedded server (on a port that was free a moment ago).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	natsURL := "nats://" + ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, "-demo", "-log-format", "json", "-metrics-addr", "127.0.0.1:0",
		"-discord-webhook", discord.URL+"/api/webhooks/1/test",
		"-record", filepath.Join(dir, "journal"), "-nats-embedded", filepath.Join(dir, "js"), "-nats", natsURL)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ROLL_SESSION=")
	stderr := newLines()
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	samples := scrape(ctx, t, soakMetricsURL(ctx, t, stderr))
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sniper -demo after SIGINT: %v\n%s", err, stderr)
	}
	return samples
}

// metricRef is a metric a PromQL expression names, with the label values it
// asks for by equality.
type metricRef struct {
	name   string
	labels map[string]string
}

var (
	metricName   = regexp.MustCompile(`\b((?:rollsniper|process|go)_[a-zA-Z0-9_]+)(\{[^}]*\})?`)
	labelMatcher = regexp.MustCompile(`(\w+)\s*(=~|!=|!~|=)\s*"([^"]*)"`)
)

// metricRefs returns the metrics expr names. Only the program's own (and the
// Go and process collectors') are checked: up and the job and instance labels
// come from Prometheus.
func metricRefs(expr string) []metricRef {
	var refs []metricRef
	for _, m := range metricName.FindAllStringSubmatch(expr, -1) {
		ref := metricRef{name: m[1], labels: map[string]string{}}
		for _, l := range labelMatcher.FindAllStringSubmatch(m[2], -1) {
			if l[2] == "=" && l[1] != "job" && l[1] != "instance" {
				ref.labels[l[1]] = l[3]
			}
		}
		refs = append(refs, ref)
	}
	return refs
}

// checkRefs fails the test for each metric expr names that the scrape lacks,
// or whose labels no sample has.
func checkRefs(t *testing.T, where, expr string, samples map[string]float64) {
	t.Helper()
	refs := metricRefs(expr)
	if len(refs) == 0 && !strings.Contains(expr, "up{") {
		t.Errorf("%s: %q names no metric", where, expr)
	}
	for _, ref := range refs {
		found := false
		for sample := range samples {
			name, labels, _ := strings.Cut(sample, "{")
			if name != ref.name {
				continue
			}
			found = true
			for k, v := range ref.labels {
				found = found && strings.Contains(labels, k+`="`+v+`"`)
			}
			if found {
				break
			}
		}
		if !found {
			t.Errorf("%s: %s (labels %v) is not in the program's metrics (renamed?)", where, ref.name, ref.labels)
		}
	}
}

// balanced reports whether expr's brackets pair up and its quotes close.
func balanced(expr string) bool {
	var stack []rune
	inQuote := false
	for _, r := range expr {
		switch {
		case r == '"':
			inQuote = !inQuote
		case inQuote:
		case strings.ContainsRune("({[", r):
			stack = append(stack, r)
		case strings.ContainsRune(")}]", r):
			open := map[rune]rune{')': '(', '}': '{', ']': '['}[r]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return !inQuote && len(stack) == 0
}

// The Prometheus rules and the Grafana dashboard in deploy/ name only metrics
// that the program serves: a renamed metric or label value breaks this test,
// not a trader's alerting. The rules file is read with the test's YAML subset
// reader (go.mod has no YAML library), the dashboard with encoding/json.
func TestDeployFilesNameRealMetrics(t *testing.T) {
	samples := scrapeReleaseBinary(t)
	want := fmt.Sprintf(`rollsniper_build_info{goversion="%s",revision="%s",version="v%s"}`, runtime.Version(), releaseStamp["{{.FullCommit}}"], releaseStamp["{{.Version}}"])
	if samples[want] != 1 {
		var got []string
		for s := range samples {
			if strings.HasPrefix(s, "rollsniper_build_info") {
				got = append(got, s)
			}
		}
		t.Errorf("the scrape has no %s 1, only %q", want, got)
	}

	t.Run("rules", func(t *testing.T) {
		data, err := os.ReadFile(rulesFile)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := parseYAMLSubset(string(data))
		if err != nil {
			t.Fatalf("%s: %v", rulesFile, err)
		}
		groups, _ := doc.(map[string]any)["groups"].([]any)
		if len(groups) == 0 {
			t.Fatalf("%s has no groups", rulesFile)
		}
		alerts := map[string]string{}
		for _, g := range groups {
			group, _ := g.(map[string]any)
			rules, _ := group["rules"].([]any)
			if group["name"] == nil || len(rules) == 0 {
				t.Errorf("%s: a group without a name or rules: %v", rulesFile, group)
			}
			for _, r := range rules {
				rule, _ := r.(map[string]any)
				name, _ := rule["alert"].(string)
				expr, _ := rule["expr"].(string)
				if name == "" || expr == "" {
					t.Errorf("%s: a rule without alert or expr: %v", rulesFile, rule)
					continue
				}
				if _, dup := alerts[name]; dup {
					t.Errorf("%s: alert %s twice", rulesFile, name)
				}
				alerts[name] = expr
				for key := range rule {
					if !slices.Contains([]string{"alert", "expr", "for", "labels", "annotations"}, key) {
						t.Errorf("%s: %s: unknown key %q", rulesFile, name, key)
					}
				}
				if f, ok := rule["for"].(string); ok {
					if _, err := time.ParseDuration(f); err != nil {
						t.Errorf("%s: %s: for %q is not a duration", rulesFile, name, f)
					}
				}
				labels, _ := rule["labels"].(map[string]any)
				if s := labels["severity"]; s != "critical" && s != "warning" {
					t.Errorf("%s: %s: severity %v, want critical or warning", rulesFile, name, s)
				}
				ann, _ := rule["annotations"].(map[string]any)
				if ann["summary"] == nil || ann["description"] == nil {
					t.Errorf("%s: %s: want a summary and a description", rulesFile, name)
				}
				if !balanced(expr) {
					t.Errorf("%s: %s: unbalanced brackets or quotes in %q", rulesFile, name, expr)
				}
				checkRefs(t, rulesFile+": "+name, expr, samples)
			}
		}
		// The alerts the README suggests, and the process being down.
		for _, want := range []string{
			"rollsniper_last_trade_age_seconds > 120",
			"rollsniper_consecutive_failures > 5",
			"increase(rollsniper_sink_dropped_total[",
			"increase(rollsniper_parse_errors_total[",
			`up{job="rollsniper"} == 0`,
			"rollsniper_feed_up == 0",
			`rollsniper_connection_state{state="subscribed"} == 0`,
		} {
			found := false
			for _, expr := range alerts {
				found = found || strings.Contains(expr, want)
			}
			if !found {
				t.Errorf("%s: no alert on %s", rulesFile, want)
			}
		}
	})

	t.Run("dashboard", func(t *testing.T) {
		data, err := os.ReadFile(dashboardFile)
		if err != nil {
			t.Fatal(err)
		}
		var dash struct {
			UID    string `json:"uid"`
			Title  string `json:"title"`
			Panels []struct {
				ID      int    `json:"id"`
				Type    string `json:"type"`
				Title   string `json:"title"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		if err := dec.Decode(&dash); err != nil {
			t.Fatalf("%s: %v", dashboardFile, err)
		}
		if dash.UID == "" || dash.Title == "" || len(dash.Panels) == 0 {
			t.Fatalf("%s: want a uid, a title and panels", dashboardFile)
		}
		ids := map[int]bool{}
		named := map[string]bool{}
		for _, p := range dash.Panels {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d twice", dashboardFile, p.ID)
			}
			ids[p.ID] = true
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", dashboardFile, p.Title)
			}
			for _, tg := range p.Targets {
				if !balanced(tg.Expr) {
					t.Errorf("%s: %s: unbalanced brackets or quotes in %q", dashboardFile, p.Title, tg.Expr)
				}
				checkRefs(t, dashboardFile+": "+p.Title, tg.Expr, samples)
				for _, ref := range metricRefs(tg.Expr) {
					named[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(ref.name, "_bucket"), "_sum"), "_count")] = true
				}
			}
		}
		// Every metric of the program's own has a place on the dashboard.
		for sample := range samples {
			name, _, _ := strings.Cut(sample, "{")
			name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			if strings.HasPrefix(name, "rollsniper_") && !named[name] {
				t.Errorf("%s shows nothing of %s", dashboardFile, name)
				named[name] = true
			}
		}
	})
}

// iniSection returns the key=value lines of a systemd unit's [section], each
// key with every value it is given.
func iniSection(t *testing.T, data, section string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	in := false
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			in = line == "["+section+"]"
		case in:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s line %d: not key=value: %q", unitFile, i+1, line)
			}
			out[k] = append(out[k], v)
		}
	}
	return out
}

// The systemd unit restarts on failure but not on exit status 2 (the status
// for a setting to fix), gives the program time to stop gracefully, and starts
// it with settings it accepts; the example env file names only real settings.
func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	svc := iniSection(t, string(data), "Service")
	one := func(key string) string {
		t.Helper()
		if len(svc[key]) != 1 {
			t.Fatalf("%s: want one %s=, got %q", unitFile, key, svc[key])
		}
		return svc[key][0]
	}
	if got, want := one("RestartPreventExitStatus"), fmt.Sprint(exitCode(&ConfigError{})); got != want {
		t.Errorf("RestartPreventExitStatus=%s, want %s: the status for a setting, whitelist or session to fix", got, want)
	}
	if got := one("Restart"); got != "on-failure" {
		t.Errorf("Restart=%s, want on-failure", got)
	}
	if got := one("KillSignal"); got != "SIGTERM" && got != "SIGINT" {
		t.Errorf("KillSignal=%s: sniper stops gracefully on SIGTERM or SIGINT", got)
	}
	// sniper stops within 2 s (the soak checks it); the unit waits longer
	// before killing it.
	if d, err := time.ParseDuration(one("TimeoutStopSec")); err != nil || d <= 2*time.Second {
		t.Errorf("TimeoutStopSec=%s: want a duration above sniper's 2 s stop", one("TimeoutStopSec"))
	}
	if user := one("User"); user == "" || user == "root" {
		t.Errorf("User=%s: want a user of its own", user)
	}
	if len(svc["EnvironmentFile"]) != 1 || strings.HasPrefix(svc["EnvironmentFile"][0], "-") {
		t.Errorf("EnvironmentFile=%q: want one, required (no leading -), for the session", svc["EnvironmentFile"])
	}

	start := strings.Fields(one("ExecStart"))
	if !strings.HasSuffix(start[0], "/sniper") {
		t.Errorf("ExecStart=%s does not run sniper", one("ExecStart"))
	}
	env := map[string]string{}
	var environ []string
	for _, kv := range svc["Environment"] {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
		environ = append(environ, kv)
	}
	if _, err := parseConfig(start[1:], func(k string) string { return env[k] }, t.TempDir(), io.Discard); err != nil {
		t.Errorf("the unit's ExecStart and Environment=: %v", err)
	}
	example, err := filepath.Abs(envExample)
	if err != nil {
		t.Fatal(err)
	}
	if w := settingWarnings(Config{EnvFile: example}, t.TempDir(), environ); len(w) > 0 {
		t.Errorf("the unit's Environment= and %s: %q", envExample, w)
	}
	if _, err := parseConfig([]string{"-env-file", envExample}, func(string) string { return "" }, ".", io.Discard); err != nil {
		t.Errorf("%s as -env-file: %v", envExample, err)
	}
}
