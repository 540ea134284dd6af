package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"

	"github.com/rollsniper/rollsniper/messages"
)

// Config is every setting of sniper, parsed and validated. Its String and LogValue
// show Session and Token only as set or unset, so a Config can be logged.
type Config struct {
	URL          string
	Session      string // the session cookie's value, without "session="
	Token        string // API token for connection_init; empty sends no payload
	Origin       string // empty sends no Origin header
	UserAgent    string
	Subscription messages.Subscription

	BackoffInitial time.Duration
	BackoffMax     time.Duration
	PingInterval   time.Duration
	PingTimeout    time.Duration
	AckTimeout     time.Duration

	LogFormat string // auto, text or json
	LogLevel  slog.Level
	Demo      bool
}

// ConfigError lists every problem found in the settings, one message each, and
// means: fix the settings and start again (exit status 2).
type ConfigError struct {
	Problems []error
}

// Error returns the problems, one a line.
func (e *ConfigError) Error() string {
	return errors.Join(e.Problems...).Error()
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (e *ConfigError) Unwrap() []error { return e.Problems }

// setting is one configuration value: its flag, its environment variable (also the
// key in .env), its default, and how to store its text into a Config.
type setting struct {
	flag   string
	env    string
	def    string
	usage  string // back-quote the word that names the flag's argument
	secret bool   // never show the value, not even in an error
	isBool bool   // the flag may stand alone: -demo means -demo=true
	set    func(text string) error
}

// settings lists sniper's settings; each setter parses its text into c. -h shows
// them sorted by flag name.
func settings(c *Config) []setting {
	return []setting{
		{flag: "url", env: "ROLL_WS_URL", def: "wss://router.csgoroll.com/ws",
			usage: "WebSocket `URL` of the trade feed",
			set:   func(s string) (err error) { c.URL, err = parseURL(s, "ws", "wss"); return err }},
		{flag: "session", env: "ROLL_SESSION", secret: true,
			usage: "session `cookie` from your browser, with or without \"session=\" in front",
			set:   func(s string) error { c.Session = trimSession(s); return nil }},
		{flag: "token", env: "ROLL_API_TOKEN", secret: true,
			usage: "API `token` sent in connection_init; leave empty if you have none",
			set:   func(s string) error { c.Token = strings.TrimSpace(s); return nil }},
		{flag: "origin", env: "ROLL_ORIGIN", def: "https://www.csgoroll.com",
			usage: "site `URL` sent as the Origin header when connecting; empty sends none",
			set:   func(s string) (err error) { c.Origin, err = parseOrigin(s); return err }},
		{flag: "user-agent", env: "ROLL_USER_AGENT", def: defaultUserAgent,
			usage: "browser identity `text` sent as the User-Agent header when connecting",
			set:   func(s string) error { c.UserAgent = strings.TrimSpace(s); return nil }},
		{flag: "subscription", env: "ROLL_SUBSCRIPTION", def: string(messages.SubCreateTrades),
			usage: "feed `name` to subscribe to: createTrades (current) or createTrade (older)",
			set: func(s string) (err error) {
				c.Subscription, err = messages.ParseSubscription(strings.TrimSpace(s))
				return err
			}},
		{flag: "backoff-initial", env: "ROLL_BACKOFF_INITIAL", def: "1s",
			usage: "first wait before reconnecting, a `duration` such as 500ms or 2s; each failure doubles it",
			set:   durationSetter(&c.BackoffInitial)},
		{flag: "backoff-max", env: "ROLL_BACKOFF_MAX", def: "60s",
			usage: "longest wait before reconnecting, a `duration` such as 30s or 2m",
			set:   durationSetter(&c.BackoffMax)},
		{flag: "ping-interval", env: "ROLL_PING_INTERVAL", def: "30s",
			usage: "how often to ping the server to check the connection, a `duration`",
			set:   durationSetter(&c.PingInterval)},
		{flag: "ping-timeout", env: "ROLL_PING_TIMEOUT", def: "10s",
			usage: "with -ping-interval, how long the feed may send nothing at all (not even a pong) before the connection counts as dead, a `duration`",
			set:   durationSetter(&c.PingTimeout)},
		{flag: "ack-timeout", env: "ROLL_ACK_TIMEOUT", def: "10s",
			usage: "how long connecting and the server's connection_ack may take before trying again, a `duration`",
			set:   durationSetter(&c.AckTimeout)},
		{flag: "log-format", env: "ROLL_LOG_FORMAT", def: "auto",
			usage: "log `format`: auto (colour on a terminal), text or json",
			set:   func(s string) (err error) { c.LogFormat, err = parseLogFormat(s); return err }},
		{flag: "log-level", env: "ROLL_LOG_LEVEL", def: "info",
			usage: "lowest `level` of status messages to show: debug, info, warn or error; trades always show",
			set:   func(s string) (err error) { c.LogLevel, err = parseLogLevel(s); return err }},
		{flag: "demo", env: "ROLL_DEMO", isBool: true,
			usage: "watch a built-in fake feed instead of CSGORoll, to try sniper out",
			set: func(s string) (err error) {
				if c.Demo, err = strconv.ParseBool(strings.TrimSpace(s)); err != nil {
					return errors.New("must be true or false")
				}
				return nil
			}},
	}
}

// defaultUserAgent is a current desktop Chrome, as the web client sends it.
const defaultUserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/144.0.0.0 Safari/537.36"

// parseConfig reads the settings from args (flags), then from the environment
// through getenv, then from the .env file in dir if there is one, then from the
// defaults: per setting, the first of those that has a value wins. It returns
// flag.ErrHelp after writing the help to usage when args ask for it, and a
// *ConfigError listing every problem when the settings are wrong.
func parseConfig(args []string, getenv func(string) string, dir string, usage io.Writer) (Config, error) {
	var cfg Config
	table := settings(&cfg)

	// The flags hold text only: env and .env are applied after parsing, so that
	// -h never shows them (a session is a secret), and every setting is parsed
	// the same way wherever its text came from.
	flags := flag.NewFlagSet("sniper", flag.ContinueOnError)
	flags.SetOutput(io.Discard) // parse errors are returned, help is written below
	texts := make([]flagText, len(table))
	for i, s := range table {
		texts[i] = flagText{text: s.def, isBool: s.isBool}
		flags.Var(&texts[i], s.flag, s.usage+" (env "+s.env+")")
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(usage, flags, dir)
			return Config{}, err
		}
		return Config{}, &ConfigError{Problems: []error{fmt.Errorf("%w (sniper -h lists the settings)", err)}}
	}

	var problems []error
	if n := flags.NArg(); n > 0 {
		// The arguments are not shown: one may be the tail of a session pasted
		// without quotes.
		problems = append(problems, fmt.Errorf("%d unexpected argument(s) after the flags: every setting is a flag like -session VALUE (sniper -h lists them); put a value that holds spaces in quotes", n))
	}
	dotenvPath := filepath.Join(dir, ".env")
	dotenv, err := readDotenv(dotenvPath)
	if err != nil {
		problems = append(problems, err)
	}
	given := make(map[string]bool)
	flags.Visit(func(f *flag.Flag) { given[f.Name] = true })

	for i, s := range table {
		text, from := texts[i].text, ""
		if !given[s.flag] {
			if v := getenv(s.env); v != "" {
				text, from = v, "the environment"
			} else if v := dotenv[s.env]; v != "" {
				text, from = v, dotenvPath
			} else if text == "" {
				continue // no default: the zero value
			}
		}
		if err := s.set(text); err != nil {
			problems = append(problems, settingError(s, text, from, err))
		}
	}

	if cfg.BackoffInitial > 0 && cfg.BackoffMax > 0 && cfg.BackoffMax < cfg.BackoffInitial {
		problems = append(problems, fmt.Errorf("-backoff-max %v is below -backoff-initial %v: raise -backoff-max (ROLL_BACKOFF_MAX) or lower -backoff-initial (ROLL_BACKOFF_INITIAL)", cfg.BackoffMax, cfg.BackoffInitial))
	}
	if len(problems) > 0 {
		return Config{}, &ConfigError{Problems: problems}
	}
	return cfg, nil
}

// settingError says which setting is wrong, with what value from where, and why.
// A secret's value is left out.
func settingError(s setting, text, from string, err error) error {
	name := "-" + s.flag + " (" + s.env + ")"
	if !s.secret {
		name += " " + strconv.Quote(text)
	}
	if from != "" {
		name += " from " + from
	}
	return fmt.Errorf("%s: %w", name, err)
}

// printUsage writes the help that -h asks for.
func printUsage(w io.Writer, flags *flag.FlagSet, dir string) {
	where := dir
	if where == "" || where == "." {
		where = "the current directory"
	}
	fmt.Fprintf(w, `Usage: sniper [flags]

sniper watches CSGORoll's live trade feed and reports every listing.

Every setting can also come from its environment variable (env NAME below) or
from a .env file of NAME=value lines in %s. A flag wins over
the environment, and the environment wins over .env.

Flags:
`, where)
	flags.SetOutput(w)
	flags.PrintDefaults()
}

// flagText is a flag's text as the command line gave it; parseConfig parses it
// once it knows which source wins.
type flagText struct {
	text   string
	isBool bool
}

func (f *flagText) String() string {
	if f == nil { // the flag package calls String on a zero flagText
		return ""
	}
	return f.text
}

func (f *flagText) Set(s string) error { f.text = s; return nil }

func (f *flagText) IsBoolFlag() bool { return f.isBool }

// readDotenv reads the .env file at path. A missing file is an empty one. The
// parser's own errors are not returned: they quote the file, secrets and all.
func readDotenv(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	vars, err := godotenv.UnmarshalBytes(data)
	if err != nil {
		reason := "expected a NAME=value line"
		if strings.HasPrefix(err.Error(), "unterminated quoted value") {
			reason = "a quoted value has no closing quote"
		}
		return nil, fmt.Errorf("%s line %d: %s", path, dotenvErrorLine(data), reason)
	}
	return vars, nil
}

// dotenvErrorLine returns the line of data at which the .env parser fails: the
// one after the longest run of leading lines that parses.
func dotenvErrorLine(data []byte) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	for n := len(lines) - 1; n > 0; n-- {
		if _, err := godotenv.UnmarshalBytes(bytes.Join(lines[:n], nil)); err == nil {
			return n + 1
		}
	}
	return 1
}

// trimSession returns a session cookie's value, whether it was pasted alone or
// as "session=value".
func trimSession(s string) string {
	return strings.TrimPrefix(strings.TrimSpace(s), "session=")
}

// parseURL returns s if it is an absolute URL with a host and one of schemes.
func parseURL(s string, schemes ...string) (string, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || !hasScheme(u, schemes) {
		return "", fmt.Errorf("must start with %s://", strings.Join(schemes, ":// or "))
	}
	if u.Host == "" {
		return "", errors.New("has no host name after the " + u.Scheme + "://")
	}
	return s, nil
}

func hasScheme(u *url.URL, schemes []string) bool {
	for _, scheme := range schemes {
		if strings.EqualFold(u.Scheme, scheme) {
			return true
		}
	}
	return false
}

// parseOrigin returns s if it is empty (send no Origin) or an http(s) URL.
func parseOrigin(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return parseURL(s, "http", "https")
}

// durationSetter returns a setter that stores a duration above zero into p.
func durationSetter(p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return errors.New("not a duration: write a number and a unit, such as 500ms, 30s or 2m")
		}
		if d <= 0 {
			return errors.New("must be above zero")
		}
		*p = d
		return nil
	}
}

// parseLogFormat returns the log format named s, in any case.
func parseLogFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case "auto", "text", "json":
		return f, nil
	}
	return "", errors.New("unknown log format: use auto, text or json")
}

// parseLogLevel returns the level named s, in any case.
func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, errors.New("unknown log level: use debug, info, warn or error")
}

// LogValue shows every setting under its flag's name, the session and the token
// only as set or unset.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", c.URL),
		slog.String("session", setOrUnset(c.Session)),
		slog.String("token", setOrUnset(c.Token)),
		slog.String("origin", c.Origin),
		slog.String("user-agent", c.UserAgent),
		slog.String("subscription", string(c.Subscription)),
		slog.Duration("backoff-initial", c.BackoffInitial),
		slog.Duration("backoff-max", c.BackoffMax),
		slog.Duration("ping-interval", c.PingInterval),
		slog.Duration("ping-timeout", c.PingTimeout),
		slog.Duration("ack-timeout", c.AckTimeout),
		slog.String("log-format", c.LogFormat),
		slog.String("log-level", strings.ToLower(c.LogLevel.String())),
		slog.Bool("demo", c.Demo),
	)
}

// String shows the settings as LogValue does, as name=value pairs.
func (c Config) String() string {
	var b strings.Builder
	for i, a := range c.LogValue().Group() {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a.Value.Kind() == slog.KindString {
			fmt.Fprintf(&b, "%s=%q", a.Key, a.Value.String())
		} else {
			fmt.Fprintf(&b, "%s=%s", a.Key, a.Value)
		}
	}
	return b.String()
}

// GoString keeps %#v from printing the secrets too.
func (c Config) GoString() string { return "Config{" + c.String() + "}" }

func setOrUnset(secret string) string {
	if secret == "" {
		return "unset"
	}
	return "set"
}
