package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// The secrets the tests put in the settings; no output may contain them.
const (
	testSession = "s%3AsecretSessionValue.xyz"
	testToken   = "tok-secretTokenValue"
	testWebhook = "https://discord.com/api/webhooks/123/hookSecretPart"
	// testNATSPassword is the password in testNATSLogin, a NATS URL's login.
	testNATSPassword = "natsSecretPass"
	testNATSLogin    = "trader:" + testNATSPassword
)

// defaultConfig is what parseConfig returns with no settings at all.
func defaultConfig() Config {
	return Config{
		URL:             "wss://router.csgoroll.com/ws",
		Origin:          "https://www.csgoroll.com",
		UserAgent:       defaultUserAgent,
		Subscription:    gqlws.SubCreateTrades,
		BackoffInitial:  time.Second,
		BackoffMax:      60 * time.Second,
		PingInterval:    30 * time.Second,
		PingTimeout:     10 * time.Second,
		AckTimeout:      10 * time.Second,
		StaleAfter:      5 * time.Minute,
		ReadLimit:       1 << 20,
		Connections:     1,
		ShutdownTimeout: 2 * time.Second,
		UnseenAfter:     72 * time.Hour,
		Output:          "auto",
		LogFormat:       "auto",
		LogLevel:        slog.LevelInfo,
		RecordMax:       1 << 30,
		NATSSubjects:    defaultSubjects,
	}
}

// sources are the three places a setting comes from, besides its default.
type sources struct {
	args   []string
	env    map[string]string
	dotenv string // the .env file's content; none when empty
}

// parse runs parseConfig on src with a fresh directory for .env, and returns the
// config, what was written to usage, and the error.
func parse(t *testing.T, src sources) (Config, string, error) {
	t.Helper()
	dir := t.TempDir()
	if src.dotenv != "" {
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(src.dotenv), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var usage bytes.Buffer
	cfg, err := parseConfig(src.args, func(k string) string { return src.env[k] }, dir, &usage)
	return cfg, usage.String(), err
}

func TestParseConfigDefaults(t *testing.T) {
	got, usage, err := parse(t, sources{})
	if err != nil {
		t.Fatal(err)
	}
	if got != defaultConfig() {
		t.Errorf("got  %+v\nwant %+v", got, defaultConfig())
	}
	if usage != "" {
		t.Errorf("usage written without -h:\n%s", usage)
	}
}

func TestParseConfigSources(t *testing.T) {
	tests := []configCase{
		{"flag -url", sources{args: []string{"-url", "ws://127.0.0.1:8080/ws"}},
			func(c *Config) { c.URL = "ws://127.0.0.1:8080/ws" }},
		{"flag -session", sources{args: []string{"-session", "abc"}},
			func(c *Config) { c.Session = "abc" }},
		{"flag -token", sources{args: []string{"-token", "t1"}},
			func(c *Config) { c.Token = "t1" }},
		{"flag -origin", sources{args: []string{"-origin", "https://www.csgoroll.gg"}},
			func(c *Config) { c.Origin = "https://www.csgoroll.gg" }},
		{"flag -origin empty sends none", sources{args: []string{"-origin="}},
			func(c *Config) { c.Origin = "" }},
		{"flag -user-agent", sources{args: []string{"-user-agent", "Mozilla/5.0 test"}},
			func(c *Config) { c.UserAgent = "Mozilla/5.0 test" }},
		{"flag -subscription", sources{args: []string{"-subscription", "createTrade"}},
			func(c *Config) { c.Subscription = gqlws.SubCreateTrade }},
		{"flag -backoff-initial", sources{args: []string{"-backoff-initial", "5ms"}},
			func(c *Config) { c.BackoffInitial = 5 * time.Millisecond }},
		{"flag -backoff-max", sources{args: []string{"-backoff-max", "2m"}},
			func(c *Config) { c.BackoffMax = 2 * time.Minute }},
		{"flag -ping-interval", sources{args: []string{"-ping-interval", "5s"}},
			func(c *Config) { c.PingInterval = 5 * time.Second }},
		{"flag -ping-timeout above interval is allowed", sources{args: []string{"-ping-timeout", "45s"}},
			func(c *Config) { c.PingTimeout = 45 * time.Second }},
		{"flag -ack-timeout", sources{args: []string{"-ack-timeout", "3s"}},
			func(c *Config) { c.AckTimeout = 3 * time.Second }},
		{"flag -log-format", sources{args: []string{"-log-format", "json"}},
			func(c *Config) { c.LogFormat = "json" }},
		{"flag -log-format in capitals", sources{args: []string{"-log-format", "TEXT"}},
			func(c *Config) { c.LogFormat = "text" }},
		{"-unseen-after in days", sources{args: []string{"-unseen-after", "1.5d"}},
			func(c *Config) { c.UnseenAfter = 36 * time.Hour }},
		{"-unseen-after as a duration", sources{env: map[string]string{"ROLL_UNSEEN_AFTER": "12h"}},
			func(c *Config) { c.UnseenAfter = 12 * time.Hour }},
		{"-unseen-after off", sources{args: []string{"-unseen-after", "off"}},
			func(c *Config) { c.UnseenAfter = 0 }},
		{"-unseen-after 0", sources{args: []string{"-unseen-after", "0"}},
			func(c *Config) { c.UnseenAfter = 0 }},
		{"flag -output", sources{args: []string{"-output", "json"}},
			func(c *Config) { c.Output = "json" }},
		{"env ROLL_OUTPUT", sources{env: map[string]string{"ROLL_OUTPUT": "Text"}},
			func(c *Config) { c.Output = "text" }},
		{"flag -log-level", sources{args: []string{"-log-level", "debug"}},
			func(c *Config) { c.LogLevel = slog.LevelDebug }},
		{"flag -log-level warn", sources{args: []string{"-log-level=WARN"}},
			func(c *Config) { c.LogLevel = slog.LevelWarn }},
		{"flag -log-level error", sources{args: []string{"-log-level", "error"}},
			func(c *Config) { c.LogLevel = slog.LevelError }},
		{"flag -demo alone: two connections", sources{args: []string{"-demo"}},
			func(c *Config) { c.Demo, c.Connections = true, 2 }},
		{"flag -demo with one connection", sources{args: []string{"-demo", "-connections", "1"}},
			func(c *Config) { c.Demo = true }},
		{"flag -connections", sources{args: []string{"-connections", "2"}},
			func(c *Config) { c.Connections = 2 }},
		{"env ROLL_CONNECTIONS, one URL for both", sources{env: map[string]string{"ROLL_CONNECTIONS": " 4 "}},
			func(c *Config) { c.Connections = 4 }},
		{"flag -url list: a connection for each", sources{args: []string{"-url", "wss://router.csgoroll.com/ws, wss://api-trader.csgoroll.com/graphql"}},
			func(c *Config) {
				c.URL, c.Connections = "wss://router.csgoroll.com/ws,wss://api-trader.csgoroll.com/graphql", 2
			}},
		{"flag -url list shorter than -connections wraps", sources{args: []string{"-url", "ws://a/ws,ws://b/ws", "-connections", "3"}},
			func(c *Config) { c.URL, c.Connections = "ws://a/ws,ws://b/ws", 3 }},
		{"flag -backoff-jitter alone", sources{args: []string{"-backoff-jitter"}},
			func(c *Config) { c.BackoffJitter = true }},
		{"flag -stale-after", sources{args: []string{"-stale-after", "90s"}},
			func(c *Config) { c.StaleAfter = 90 * time.Second }},
		{"flag -read-limit in KiB", sources{args: []string{"-read-limit", "512KiB"}},
			func(c *Config) { c.ReadLimit = 512 << 10 }},
		{"flag -read-limit in bytes", sources{args: []string{"-read-limit", "100000"}},
			func(c *Config) { c.ReadLimit = 100000 }},
		{"flag -read-limit in MB", sources{args: []string{"-read-limit", "4 mb"}},
			func(c *Config) { c.ReadLimit = 4000000 }},
		{"flag -metrics-addr port only is loopback", sources{args: []string{"-metrics-addr", ":9090"}},
			func(c *Config) { c.MetricsAddr = "127.0.0.1:9090" }},
		{"flag -metrics-addr bare port is loopback", sources{args: []string{"-metrics-addr", "9100"}},
			func(c *Config) { c.MetricsAddr = "127.0.0.1:9100" }},
		{"flag -metrics-addr with a host", sources{args: []string{"-metrics-addr", "0.0.0.0:9090"}},
			func(c *Config) { c.MetricsAddr = "0.0.0.0:9090" }},
		{"flag -whitelist", sources{args: []string{"-whitelist", "wl.json"}},
			func(c *Config) { c.Whitelist = "wl.json" }},
		{"env webhook with whitelist", sources{env: map[string]string{
			"ROLL_DISCORD_WEBHOOK": testWebhook, "ROLL_WHITELIST": "wl.json"}},
			func(c *Config) { c.DiscordWebhook, c.Whitelist = testWebhook, "wl.json" }},
		{"flag -demo=false beats env", sources{args: []string{"-demo=false"}, env: map[string]string{"ROLL_DEMO": "true"}},
			func(c *Config) {}},

		{"every env var", sources{env: map[string]string{
			"ROLL_WS_URL": "wss://api-trader.csgoroll.com/graphql", "ROLL_SESSION": "e1", "ROLL_API_TOKEN": "e2",
			"ROLL_ORIGIN": "http://localhost", "ROLL_USER_AGENT": "ua", "ROLL_SUBSCRIPTION": "createTrade",
			"ROLL_BACKOFF_INITIAL": "2s", "ROLL_BACKOFF_MAX": "3s", "ROLL_PING_INTERVAL": "4s",
			"ROLL_PING_TIMEOUT": "5s", "ROLL_ACK_TIMEOUT": "6s", "ROLL_LOG_FORMAT": "text",
			"ROLL_LOG_LEVEL": "error", "ROLL_DEMO": "1", "ROLL_BACKOFF_JITTER": "true",
			"ROLL_STALE_AFTER": "7s", "ROLL_READ_LIMIT": "2MiB", "ROLL_METRICS_ADDR": ":1",
			"ROLL_WHITELIST": "w", "ROLL_DISCORD_WEBHOOK": testWebhook,
			"ROLL_SHUTDOWN_TIMEOUT": "8s", "ROLL_OUTPUT": "json", "ROLL_UNSEEN_AFTER": "2d",
			"ROLL_RECORD": "journal", "ROLL_RECORD_MAX": "10GiB",
		}}, func(c *Config) {
			*c = Config{URL: "wss://api-trader.csgoroll.com/graphql", Session: "e1", Token: "e2",
				Origin: "http://localhost", UserAgent: "ua", Subscription: gqlws.SubCreateTrade,
				BackoffInitial: 2 * time.Second, BackoffMax: 3 * time.Second, PingInterval: 4 * time.Second,
				PingTimeout: 5 * time.Second, AckTimeout: 6 * time.Second, Output: "json", LogFormat: "text",
				LogLevel: slog.LevelError, Demo: true, BackoffJitter: true, StaleAfter: 7 * time.Second,
				ReadLimit: 2 << 20, MetricsAddr: "127.0.0.1:1", Whitelist: "w", UnseenAfter: 48 * time.Hour, DiscordWebhook: testWebhook,
				ShutdownTimeout: 8 * time.Second, NATSSubjects: defaultSubjects, Connections: 2,
				Record: "journal", RecordMax: 10 << 30}
		}},
		{"-record-max 0 is no limit", sources{args: []string{"-record", "j", "-record-max", "0"}},
			func(c *Config) { c.Record, c.RecordMax = "j", 0 }},
		{"-record-max in MB", sources{args: []string{"-record-max", "500MB"}},
			func(c *Config) { c.RecordMax = 500_000_000 }},
		{".env used when nothing else", sources{dotenv: "# my settings\nROLL_SESSION=d1\nexport ROLL_API_TOKEN='d2'\nROLL_BACKOFF_MAX=90s\nROLL_DEMO=true\n"},
			func(c *Config) {
				c.Session, c.Token, c.BackoffMax, c.Demo, c.Connections = "d1", "d2", 90*time.Second, true, 2
			}},
		{"env beats .env", sources{env: map[string]string{"ROLL_SESSION": "env"}, dotenv: "ROLL_SESSION=dotenv\nROLL_LOG_LEVEL=warn\n"},
			func(c *Config) { c.Session, c.LogLevel = "env", slog.LevelWarn }},
		{"flag beats env and .env", sources{args: []string{"-session", "flag", "-log-level", "debug"},
			env: map[string]string{"ROLL_SESSION": "env", "ROLL_LOG_LEVEL": "error"}, dotenv: "ROLL_SESSION=dotenv\n"},
			func(c *Config) { c.Session, c.LogLevel = "flag", slog.LevelDebug }},
		{"empty flag beats env", sources{args: []string{"-session="}, env: map[string]string{"ROLL_SESSION": "env"}},
			func(c *Config) {}},
		{"empty env var is unset", sources{env: map[string]string{"ROLL_SESSION": ""}, dotenv: "ROLL_SESSION=dotenv\n"},
			func(c *Config) { c.Session = "dotenv" }},

		{"session= stripped from flag", sources{args: []string{"-session", "session=" + testSession}},
			func(c *Config) { c.Session = testSession }},
		{"session= stripped from env", sources{env: map[string]string{"ROLL_SESSION": " session=" + testSession + "\n"}},
			func(c *Config) { c.Session = testSession }},
		{"session= stripped from .env", sources{dotenv: "ROLL_SESSION=\"session=" + testSession + "\"\n"},
			func(c *Config) { c.Session = testSession }},
	}
	checkConfigCases(t, tests)
}

func TestParseConfigProblems(t *testing.T) {
	tests := []struct {
		name string
		src  sources
		want []string // one line of the error for each problem
	}{
		{"url scheme", sources{args: []string{"-url", "http://x"}},
			[]string{`-url (ROLL_WS_URL) "http://x": must start with ws:// or wss://`}},
		{"url empty", sources{args: []string{"-url="}},
			[]string{`-url (ROLL_WS_URL) "": must start with ws:// or wss://`}},
		{"url without host", sources{env: map[string]string{"ROLL_WS_URL": "wss:///ws"}},
			[]string{`-url (ROLL_WS_URL) "wss:///ws" from the environment: has no host name after the wss://`}},
		{"url list with a bad one", sources{args: []string{"-url", "wss://router.csgoroll.com/ws,,wss://x/ws"}},
			[]string{`-url (ROLL_WS_URL) "wss://router.csgoroll.com/ws,,wss://x/ws": URL 2 of 3: must start with ws:// or wss://`}},
		{"url list longer than the connections", sources{args: []string{"-url", "wss://a/ws,wss://b/ws", "-connections", "1"}},
			[]string{`-url (ROLL_WS_URL) names 2 URLs but -connections (ROLL_CONNECTIONS) is 1: set -connections 2 to use them all, or name fewer`}},
		{"url list longer than any connections", sources{args: []string{"-url", "ws://a,ws://b,ws://c,ws://d,ws://e"}},
			[]string{`-url (ROLL_WS_URL) names 5 URLs: at most 4 connections can use them, name fewer`}},
		{"connections zero", sources{args: []string{"-connections", "0"}},
			[]string{`-connections (ROLL_CONNECTIONS) "0": must be a whole number from 1 to 4: 2 keeps the feed whole while one connection reconnects`}},
		{"connections too many", sources{env: map[string]string{"ROLL_CONNECTIONS": "5"}},
			[]string{`-connections (ROLL_CONNECTIONS) "5" from the environment: must be a whole number from 1 to 4`}},
		{"connections not a number", sources{args: []string{"-connections", "two"}},
			[]string{`-connections (ROLL_CONNECTIONS) "two": must be a whole number from 1 to 4`}},
		{"origin scheme", sources{args: []string{"-origin", "www.csgoroll.com"}},
			[]string{`-origin (ROLL_ORIGIN) "www.csgoroll.com": must start with http:// or https://`}},
		{"subscription", sources{args: []string{"-subscription", "trades"}},
			[]string{`-subscription (ROLL_SUBSCRIPTION) "trades": unknown subscription "trades": use "createTrades" (current feed) or "createTrade" (older feed)`}},
		{"duration flag", sources{args: []string{"-ping-interval", "30"}},
			[]string{`-ping-interval (ROLL_PING_INTERVAL) "30": not a duration: write a number and a unit, such as 500ms, 30s or 2m`}},
		{"duration env names the env var", sources{env: map[string]string{"ROLL_BACKOFF_MAX": "1 minute"}},
			[]string{`-backoff-max (ROLL_BACKOFF_MAX) "1 minute" from the environment: not a duration`}},
		{"duration zero", sources{args: []string{"-ack-timeout", "0s"}},
			[]string{`-ack-timeout (ROLL_ACK_TIMEOUT) "0s": must be above zero`}},
		{"duration negative", sources{args: []string{"-ping-timeout", "-1s"}},
			[]string{`-ping-timeout (ROLL_PING_TIMEOUT) "-1s": must be above zero`}},
		{"backoff max below initial", sources{args: []string{"-backoff-max", "500ms"}},
			[]string{`-backoff-max 500ms is below -backoff-initial 1s`}},
		{"log format", sources{args: []string{"-log-format", "xml"}},
			[]string{`-log-format (ROLL_LOG_FORMAT) "xml": unknown log format: use auto, text or json`}},
		{"unseen-after", sources{args: []string{"-unseen-after", "a week"}},
			[]string{`-unseen-after (ROLL_UNSEEN_AFTER) "a week": not a duration: write one such as 3d or 72h, or 0 for none`}},
		{"unseen-after in negative days", sources{args: []string{"-unseen-after", "-1d"}},
			[]string{`-unseen-after (ROLL_UNSEEN_AFTER) "-1d": not a number of days`}},
		{"output", sources{env: map[string]string{"ROLL_OUTPUT": "csv"}},
			[]string{`-output (ROLL_OUTPUT) "csv" from the environment: unknown output format: use auto, text or json`}},
		{"log level", sources{env: map[string]string{"ROLL_LOG_LEVEL": "verbose"}},
			[]string{`-log-level (ROLL_LOG_LEVEL) "verbose" from the environment: unknown log level: use debug, info, warn or error`}},
		{"demo", sources{args: []string{"-demo=yes"}},
			[]string{`-demo (ROLL_DEMO) "yes": must be true or false`}},
		{"read limit not a size", sources{args: []string{"-read-limit", "lots"}},
			[]string{`-read-limit (ROLL_READ_LIMIT) "lots": not a size: write a number of bytes, or a number and KiB or MiB`}},
		{"read limit unknown unit", sources{args: []string{"-read-limit", "1GB"}},
			[]string{`-read-limit (ROLL_READ_LIMIT) "1GB": not a size`}},
		{"read limit too small", sources{args: []string{"-read-limit", "1KiB"}},
			[]string{`-read-limit (ROLL_READ_LIMIT) "1KiB": must be between 16KiB and 256MiB`}},
		{"read limit too large", sources{args: []string{"-read-limit", "999999MiB"}},
			[]string{`-read-limit (ROLL_READ_LIMIT) "999999MiB": must be between 16KiB and 256MiB`}},
		{"record max not a size", sources{args: []string{"-record-max", "lots"}},
			[]string{`-record-max (ROLL_RECORD_MAX) "lots": not a size: write a number and MiB or GiB, such as 500MiB or 10GiB, or 0 for no limit`}},
		{"record max too small", sources{args: []string{"-record-max", "1MiB"}},
			[]string{`-record-max (ROLL_RECORD_MAX) "1MiB": must be 0 (no limit) or at least 8MiB`}},
		{"record max too large", sources{args: []string{"-record-max", "99999999TiB"}},
			[]string{`-record-max (ROLL_RECORD_MAX) "99999999TiB": too large`}},
		{"metrics address", sources{args: []string{"-metrics-addr", "localhost:http"}},
			[]string{`-metrics-addr (ROLL_METRICS_ADDR) "localhost:http": the port must be a number from 0 to 65535`}},
		{"metrics address malformed", sources{args: []string{"-metrics-addr", "a:b:c"}},
			[]string{`-metrics-addr (ROLL_METRICS_ADDR) "a:b:c": not an address`}},
		{"stale after zero", sources{args: []string{"-stale-after", "0s"}},
			[]string{`-stale-after (ROLL_STALE_AFTER) "0s": must be above zero`}},
		{"webhook not https", sources{args: []string{"-discord-webhook", "http://discord.com/api/webhooks/1/" + testToken, "-whitelist", "w"}},
			[]string{`-discord-webhook (ROLL_DISCORD_WEBHOOK): must start with https://`}},
		{"webhook not a URL", sources{env: map[string]string{"ROLL_DISCORD_WEBHOOK": testToken, "ROLL_WHITELIST": "w"}},
			[]string{`-discord-webhook (ROLL_DISCORD_WEBHOOK) from the environment: not a URL: copy the whole webhook URL from Discord`}},
		{"webhook without a path", sources{args: []string{"-discord-webhook", "https://discord.com", "-whitelist", "w"}},
			[]string{`-discord-webhook (ROLL_DISCORD_WEBHOOK): the Discord webhook URL has no path`}},
		{"webhook without whitelist", sources{args: []string{"-discord-webhook", testWebhook}},
			[]string{`-discord-webhook (ROLL_DISCORD_WEBHOOK) is set but -whitelist (ROLL_WHITELIST) is not`}},
		{"unknown flag", sources{args: []string{"-sesion", "x"}},
			[]string{`flag provided but not defined: -sesion (sniper -h lists the settings)`}},
		{"flag without value", sources{args: []string{"-url"}},
			[]string{`flag needs an argument: -url`}},
		{"positional arguments", sources{args: []string{"-log-level", "info", "extra", "more"}},
			[]string{`2 unexpected argument(s) after the flags`}},
		{".env value names the file", sources{dotenv: "ROLL_PING_TIMEOUT=soon\n"},
			[]string{`-ping-timeout (ROLL_PING_TIMEOUT) "soon" from `}},
		{".env bad line", sources{dotenv: "# comment\nROLL_DEMO=1\n\nthis is not a setting\nROLL_LOG_LEVEL=info\n"},
			[]string{`.env line 4: expected a NAME=value line`}},
		{".env unterminated quote", sources{dotenv: "ROLL_DEMO=1\nROLL_ORIGIN=\"x\nROLL_LOG_LEVEL=info\n"},
			[]string{`.env line 2: a quoted value has no closing quote`}},
		{".env bad line after a multi-line value", sources{dotenv: "A=\"one\ntwo\"\nB=ok\nbad line\n"},
			[]string{`.env line 4: `}},
		{"every problem at once", sources{
			args: []string{"-url", "https://x", "-log-format", "xml"},
			env:  map[string]string{"ROLL_BACKOFF_INITIAL": "fast", "ROLL_LOG_LEVEL": "loud"},
		}, []string{`-url (ROLL_WS_URL)`, `-log-format (ROLL_LOG_FORMAT)`, `ROLL_BACKOFF_INITIAL`, `ROLL_LOG_LEVEL`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, usage, err := parse(t, tt.src)
			if usage != "" {
				t.Errorf("usage written on a problem, want it only in the error:\n%s", usage)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want a *ConfigError", err, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error\n%v\ndoes not say\n%s", err, want)
				}
			}
			if len(ce.Problems) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%v", len(ce.Problems), len(tt.want), err)
			}
		})
	}
}

func TestParseConfigUnreadableDotenv(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".env"), 0o700); err != nil { // a directory cannot be read as a file
		t.Fatal(err)
	}
	_, err := parseConfig(nil, func(string) string { return "" }, dir, io.Discard)
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), ".env") {
		t.Fatalf("got %v, want a *ConfigError naming .env", err)
	}
}

func TestParseConfigHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		t.Run(arg, func(t *testing.T) {
			src := sources{
				args:   []string{arg},
				env:    map[string]string{"ROLL_SESSION": testSession, "ROLL_API_TOKEN": testToken},
				dotenv: "ROLL_SESSION=" + testSession + "\n",
			}
			_, usage, err := parse(t, src)
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("got %v, want flag.ErrHelp", err)
			}
			for _, s := range settings(&Config{}) {
				if !strings.Contains(usage, "  -"+s.flag+" ") && !strings.Contains(usage, "  -"+s.flag+"\n") {
					t.Errorf("usage does not list -%s", s.flag)
				}
				if !strings.Contains(usage, "(env "+s.env+")") {
					t.Errorf("usage does not name %s", s.env)
				}
			}
			for _, want := range []string{"(default wss://router.csgoroll.com/ws)", "-backoff-max duration", ".env"} {
				if !strings.Contains(usage, want) {
					t.Errorf("usage does not say %q:\n%s", want, usage)
				}
			}
			assertNoSecrets(t, usage)
		})
	}
}

// TestConfigHidesSecrets logs and prints a config with a session and a token every
// way the program might.
func TestConfigHidesSecrets(t *testing.T) {
	cfg := defaultConfig()
	cfg.Session, cfg.Token, cfg.DiscordWebhook = testSession, testToken, testWebhook

	var buf bytes.Buffer
	handlers := map[string]slog.Handler{
		"json": slog.NewJSONHandler(&buf, nil),
		"text": slog.NewTextHandler(&buf, nil),
		"tint": tint.NewTextHandler(&buf, &tint.Options{NoColor: true}),
	}
	for name, h := range handlers {
		buf.Reset()
		log := slog.New(h)
		log.Info("settings", "config", cfg, "pointer", &cfg)
		log.With("config", cfg).Info("with")
		out := buf.String()
		assertNoSecrets(t, out)
		if !strings.Contains(out, "session") || !strings.Contains(out, "set") || !strings.Contains(out, "router.csgoroll.com") {
			t.Errorf("%s: the settings are not shown:\n%s", name, out)
		}
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, cfg)
		assertNoSecrets(t, out)
		assertNoSecrets(t, fmt.Sprintf(verb, &cfg))
		assertNoSecrets(t, fmt.Sprintf("%q", cfg))
		if !strings.Contains(out, `session="set"`) || !strings.Contains(out, `token="set"`) || !strings.Contains(out, `discord-webhook="set"`) {
			t.Errorf("%s: %s does not say the secrets are set", verb, out)
		}
	}
	if got := fmt.Sprint(defaultConfig()); !strings.Contains(got, `session="unset" token="unset"`) {
		t.Errorf("empty secrets are not shown as unset: %s", got)
	}
}

// TestProblemsHideSecrets puts the secrets next to broken settings in every source.
func TestProblemsHideSecrets(t *testing.T) {
	tests := []sources{
		{args: []string{"-session", testSession, "-token", testToken, "-url", "http://x", "-ping-interval", "x"}},
		{args: []string{"-session", testSession, "stray", testToken}},
		{env: map[string]string{"ROLL_SESSION": testSession, "ROLL_API_TOKEN": testToken, "ROLL_BACKOFF_MAX": "y", "ROLL_LOG_LEVEL": "z"}},
		{dotenv: "ROLL_SESSION=" + testSession + "\nROLL_API_TOKEN=" + testToken + "\nROLL_ACK_TIMEOUT=q\n"},
		{dotenv: "ROLL_SESSION=\"" + testSession + "\nROLL_API_TOKEN=" + testToken + "\n"},
		{dotenv: "session " + testSession + "\n" + testToken + "\n"},
		{args: []string{"-discord-webhook", testWebhook + " trailing", "-whitelist", "w"}},
		{args: []string{"-discord-webhook", "http" + strings.TrimPrefix(testWebhook, "https"), "-whitelist", "w"}},
		{env: map[string]string{"ROLL_DISCORD_WEBHOOK": testWebhook}},
	}
	for i, src := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			_, usage, err := parse(t, src)
			if err == nil {
				t.Fatal("no error")
			}
			assertNoSecrets(t, err.Error())
			assertNoSecrets(t, usage)
		})
	}
}

func assertNoSecrets(t *testing.T, out string) {
	t.Helper()
	for _, secret := range []string{testSession, testToken, "secretSessionValue", "secretTokenValue", testWebhook, "hookSecretPart", testNATSPassword} {
		if strings.Contains(out, secret) {
			t.Errorf("output shows the secret %q:\n%s", secret, out)
		}
	}
}

// Connection i takes the i-th URL, the list wrapping.
func TestConfigURLsWrap(t *testing.T) {
	for _, tt := range []struct {
		url  string
		n    int
		want []string
	}{
		{"ws://a/ws", 1, []string{"ws://a/ws"}},
		{"ws://a/ws", 2, []string{"ws://a/ws", "ws://a/ws"}},
		{"ws://a/ws,ws://b/graphql", 2, []string{"ws://a/ws", "ws://b/graphql"}},
		{"ws://a/ws,ws://b/graphql", 3, []string{"ws://a/ws", "ws://b/graphql", "ws://a/ws"}},
	} {
		if got := (Config{URL: tt.url, Connections: tt.n}).URLs(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%q for %d connections: %v, want %v", tt.url, tt.n, got, tt.want)
		}
	}
}

// configCase is settings from their sources, and what they change of the
// defaults.
type configCase struct {
	name string
	src  sources
	want func(*Config)
}

// checkConfigCases parses each case's sources and checks the Config is the
// defaults with the case's changes.
func checkConfigCases(t *testing.T, tests []configCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := parse(t, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			want := defaultConfig()
			tt.want(&want)
			if got != want {
				t.Errorf("got  %#v\nwant %#v", got, want)
			}
		})
	}
}
