package main

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/discord"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/natsrec"
)

// Config is every setting of sniper, parsed and validated. Its String and LogValue
// show Session and Token only as set or unset, so a Config can be logged.
type Config struct {
	URL          string // one WebSocket URL, or several comma-separated: connection i takes the i-th (see URLs)
	Session      string // the session cookie's value, without "session="
	Token        string // API token for connection_init; empty sends no payload
	Origin       string // empty sends no Origin header
	UserAgent    string
	Subscription gqlws.Subscription

	BackoffInitial time.Duration
	BackoffMax     time.Duration
	PingInterval   time.Duration
	PingTimeout    time.Duration
	AckTimeout     time.Duration
	BackoffJitter  bool          // full jitter on every reconnect delay
	StaleAfter     time.Duration // reconnect when subscribed but no trade for this long
	ReadLimit      int64         // largest frame accepted, in bytes
	// Connections is how many connections (lines) carry the feed, 1 to
	// actors.MaxLines: each trade is printed once, from the first to bring it.
	Connections int

	ShutdownTimeout time.Duration // how long a stop may take in all
	Procs           int           // -procs: how many Ps (GOMAXPROCS) to run with; 0: auto (see procsFor)

	MetricsAddr    string        // host:port for /metrics, /healthz and /readyz; empty: off
	Whitelist      string        // path of the whitelist file; empty: no whitelist sink
	UnseenAfter    time.Duration // warn of whitelist entries whose item has not come for this long; 0: never
	DiscordWebhook string        // Discord webhook URL for match alerts; empty: no alerts

	Record    string // directory to journal every frame into; empty: no recording
	RecordMax int64  // the journal's largest size in bytes; 0: no limit

	Output    string // the records' format: auto, text or json
	LogFormat string // auto, text or json
	LogLevel  slog.Level
	Demo      bool

	EnvFile string // the settings file -env-file names; empty: .env in the working directory, if there is one
	// NATS (see natsConfig for how they fit together).
	NATSURL      string           // publish every trade and match here; empty: no publisher. May hold a login: a secret
	NATSCreds    string           // a credentials file for -nats and -source; empty: none
	NATSSubjects natsrec.Subjects // from -nats-subject
	NATSDurable  string           // the source's durable consumer; empty: an unnamed one
	NATSEmbedded string           // the embedded server's store directory; empty: no embedded server
	Source       string           // a NATS URL to read trades from instead of the feed; empty: the feed. May hold a login
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
			usage: "WebSocket `URL` of the trade feed; several, comma-separated, spread -connections over routes (connection i takes the i-th, wrapping)",
			set:   func(s string) (err error) { c.URL, err = parseURLs(s); return err }},
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
		{flag: "subscription", env: "ROLL_SUBSCRIPTION", def: string(gqlws.SubCreateTrades),
			usage: "feed `name` to subscribe to: createTrades (current) or createTrade (older)",
			set: func(s string) (err error) {
				c.Subscription, err = gqlws.ParseSubscription(strings.TrimSpace(s))
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
		{flag: "backoff-jitter", env: "ROLL_BACKOFF_JITTER", isBool: true,
			usage: "wait a random part of each reconnect delay (full jitter), so that many instances do not reconnect in step",
			set:   boolSetter(&c.BackoffJitter)},
		{flag: "stale-after", env: "ROLL_STALE_AFTER", def: "5m",
			usage: "reconnect when the connection is up but no trade has arrived for this `duration`: the subscription may have died silently",
			set:   durationSetter(&c.StaleAfter)},
		{flag: "read-limit", env: "ROLL_READ_LIMIT", def: "1MiB",
			usage: "largest frame to accept, a `size` such as 512KiB or 4MiB; a larger one ends the connection, which is then reopened",
			set:   func(s string) (err error) { c.ReadLimit, err = parseSize(s); return err }},
		{flag: "connections", env: "ROLL_CONNECTIONS",
			usage: "how many connections carry the feed, `n` from 1 to 4 (default: one for each -url, and 2 with -demo): each trade is printed once, from whichever brought it first, so a reconnect of one loses nothing; 2 for anyone who cannot afford to miss a listing",
			set:   func(s string) (err error) { c.Connections, err = parseConnections(s); return err }},
		{flag: "shutdown-timeout", env: "ROLL_SHUTDOWN_TIMEOUT", def: "2s",
			usage: "how long a stop (SIGINT, SIGTERM) may take in all, a `duration`: unsubscribing, the trades still in flight, closing, the alerts and the output; past it the program exits with what it could write",
			set:   durationSetter(&c.ShutdownTimeout)},
		{flag: "procs", env: "ROLL_PROCS", def: "auto",
			usage: "how many CPUs the Go runtime may run the program on at once (GOMAXPROCS), a `number` or auto: one when only the feed, the whitelist and the alerts run (a frame then goes from goroutine to goroutine without waking another thread), the machine's when -record or NATS work beside them",
			set: func(s string) error {
				s = strings.TrimSpace(s)
				if s == "auto" || s == "" {
					c.Procs = 0
					return nil
				}
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 || n > 1024 {
					return errors.New("want auto or a whole number of CPUs from 1, such as 1 or 2")
				}
				c.Procs = n
				return nil
			}},
		{flag: "metrics-addr", env: "ROLL_METRICS_ADDR",
			usage: "serve Prometheus metrics, /healthz and /readyz on this `address`, such as :9090 (loopback only) or 0.0.0.0:9090; empty serves none",
			set:   func(s string) (err error) { c.MetricsAddr, err = parseListenAddr(s); return err }},
		{flag: "whitelist", env: "ROLL_WHITELIST",
			usage: "JSON whitelist `file` of the items you want; matches print as match records (check it with: sniper check -whitelist FILE)",
			set:   func(s string) error { c.Whitelist = strings.TrimSpace(s); return nil }},
		{flag: "unseen-after", env: "ROLL_UNSEEN_AFTER", def: "72h",
			usage: "once a day, warn of each whitelist entry whose item has not been on the feed for this `duration` (such as 72h or 3d): it may be rare, or CSGORoll may spell its name otherwise; 0 turns the warning off",
			set:   func(s string) (err error) { c.UnseenAfter, err = parseDays(s); return err }},
		{flag: "discord-webhook", env: "ROLL_DISCORD_WEBHOOK", secret: true,
			usage: "Discord webhook `URL` to alert on every whitelist match; needs -whitelist",
			set:   func(s string) (err error) { c.DiscordWebhook, err = parseWebhook(s); return err }},
		{flag: "output", env: "ROLL_OUTPUT", def: "auto",
			usage: "`format` of the trade and match records on stdout: auto (colour text on a terminal, JSON lines otherwise), text or json",
			set:   func(s string) (err error) { c.Output, err = parseFormat(s, "output"); return err }},
		{flag: "record", env: "ROLL_RECORD",
			usage: "journal every frame of the feed into this `directory`, to replay it or backtest a whitelist on it later (sniper replay, sniper backtest)",
			set:   func(s string) error { c.Record = strings.TrimSpace(s); return nil }},
		{flag: "record-max", env: "ROLL_RECORD_MAX", def: "1GiB",
			usage: "the journal's largest `size`, such as 500MiB or 10GiB; the oldest segments are deleted to keep under it (0: no limit)",
			set:   func(s string) (err error) { c.RecordMax, err = parseRecordMax(s); return err }},
		{flag: "log-format", env: "ROLL_LOG_FORMAT", def: "auto",
			usage: "`format` of the status messages on stderr: auto (colour on a terminal), text or json",
			set:   func(s string) (err error) { c.LogFormat, err = parseFormat(s, "log"); return err }},
		{flag: "log-level", env: "ROLL_LOG_LEVEL", def: "info",
			usage: "lowest `level` of status messages to show: debug, info, warn or error; trades always show",
			set:   func(s string) (err error) { c.LogLevel, err = parseLogLevel(s); return err }},
		{flag: "demo", env: "ROLL_DEMO", isBool: true,
			usage: "watch a built-in fake feed instead of CSGORoll, to try sniper out",
			set:   boolSetter(&c.Demo)},
		{flag: "nats", env: "ROLL_NATS_URL", secret: true,
			usage: "publish every trade and match to the NATS JetStream server at this `URL`, nats://HOST:PORT (several comma-separated); a login in it (nats://user:password@host:4222) is never shown",
			set:   func(s string) (err error) { c.NATSURL, err = parseNATSURL(s); return err }},
		{flag: "nats-creds", env: "ROLL_NATS_CREDS",
			usage: "NATS credentials `file` (.creds) for -nats and -source",
			set:   func(s string) (err error) { c.NATSCreds, err = parseCredsFile(s); return err }},
		{flag: "nats-subject", env: "ROLL_NATS_SUBJECT", def: natsrec.DefaultPrefix,
			usage: "NATS subject `prefix`: trades go on PREFIX.trades and matches on PREFIX.matches, in the stream ROLLSNIPER (ROLLSNIPER_PREFIX for another prefix)",
			set: func(s string) (err error) {
				c.NATSSubjects, err = natsrec.NewSubjects(strings.TrimSpace(s))
				return err
			}},
		{flag: "nats-durable", env: "ROLL_NATS_DURABLE",
			usage: "with -source, the consumer `name` the NATS server keeps your place under: start again with the same name to get every trade published meanwhile; one name for each sniper",
			set: func(s string) error {
				c.NATSDurable = strings.TrimSpace(s)
				return natsrec.CheckDurable(c.NATSDurable)
			}},
		{flag: "nats-embedded", env: "ROLL_NATS_EMBEDDED",
			usage: "run a NATS server with JetStream inside sniper, storing in `dir`, listening on the loopback address and port of -nats (nats://127.0.0.1:4222 unless -nats says otherwise), and publish to it",
			set:   func(s string) error { c.NATSEmbedded = strings.TrimSpace(s); return nil }},
		{flag: "source", env: "ROLL_SOURCE", secret: true,
			usage: "read trades from the NATS stream at this `URL` (nats://HOST:PORT) instead of CSGORoll, through a consumer of your own (see -nats-durable); empty reads CSGORoll",
			set:   func(s string) (err error) { c.Source, err = parseNATSURL(s); return err }},
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
	cfg, _, err := parseCommand(command{}, args, getenv, dir, usage)
	return cfg, err
}

// command is what a subcommand that reads the settings adds to them: its own
// flags, its arguments, its help.
type command struct {
	name  string                                             // "sniper replay"; "" for sniper itself
	flags func(*flag.FlagSet)                                // defines the command's own flags; nil for none
	args  bool                                               // the command takes arguments after the flags
	usage func(w io.Writer, flags *flag.FlagSet, dir string) // writes its help; nil for sniper's
}

// parseCommand is parseConfig for cmd: the settings and cmd's own flags
// from args, and the arguments after the flags.
func parseCommand(cmd command, args []string, getenv func(string) string, dir string, usage io.Writer) (Config, []string, error) {
	var cfg Config
	table := settings(&cfg)

	// The flags hold text only: env and .env are applied after parsing, so that
	// -h never shows them (a session is a secret), and every setting is parsed
	// the same way wherever its text came from.
	flags := flag.NewFlagSet(cmp.Or(cmd.name, "sniper"), flag.ContinueOnError)
	if cmd.flags != nil {
		cmd.flags(flags)
	}
	flags.SetOutput(io.Discard) // parse errors are returned, help is written below
	texts := make([]flagText, len(table))
	for i, s := range table {
		texts[i] = flagText{text: s.def, isBool: s.isBool}
		flags.Var(&texts[i], s.flag, s.usage+" (env "+s.env+")")
	}
	envFile := flags.String("env-file", "", "read settings from this `file` of NAME=value lines instead of .env in the current directory; it must exist (env "+envFileVar+")")
	showVersion := flags.Bool("version", false, "print the version and exit")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if cmd.usage != nil {
				cmd.usage(usage, flags, dir)
			} else {
				printUsage(usage, flags, dir)
			}
			return Config{}, nil, err
		}
		return Config{}, nil, &ConfigError{Problems: []error{fmt.Errorf("%w (%s -h lists the settings)", err, cmp.Or(cmd.name, "sniper"))}}
	}
	if *showVersion {
		return Config{}, nil, errShowVersion
	}

	var problems []error
	if n := flags.NArg(); n > 0 && !cmd.args {
		// The arguments are not shown: one may be the tail of a session pasted
		// without quotes.
		problems = append(problems, fmt.Errorf("%d unexpected argument(s) after the flags: every setting is a flag like -session VALUE (sniper -h lists them); put a value that holds spaces in quotes", n))
	}
	cfg.EnvFile = cmp.Or(*envFile, getenv(envFileVar))
	dotenvPath, dotenv, err := loadDotenv(dir, cfg.EnvFile)
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
	if cfg.DiscordWebhook != "" && cfg.Whitelist == "" && !cfg.Demo {
		problems = append(problems, errors.New("-discord-webhook (ROLL_DISCORD_WEBHOOK) is set but -whitelist (ROLL_WHITELIST) is not: alerts are sent for whitelist matches, so name a whitelist file"))
	}
	problems = append(problems, natsConfig(&cfg)...)
	problems = append(problems, connectionsConfig(&cfg)...)
	if len(problems) > 0 {
		return Config{}, nil, &ConfigError{Problems: problems}
	}
	return cfg, flags.Args(), nil
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

// sniperUsage is what sniper -h says before the flags.
const sniperUsage = `Usage: sniper [flags]
       sniper check -whitelist FILE [flags]   (check the settings and the whitelist, without connecting)
       sniper health [-addr ADDR]             (ask a running sniper's /readyz; exit status 0 when ready)
       sniper replay [-speed 1x|10x|max] DIR  (replay a journal -record wrote through the whitelist and printer)
       sniper backtest -whitelist FILE DIR    (what the whitelist would have caught in a journal)
       sniper -version

sniper watches CSGORoll's live trade feed, reports every listing, and with a
whitelist tells you at once about the ones you want. Trades and matches go to
stdout (-output: colour text on a terminal, JSON lines when piped), what the
program is doing to stderr (-log-format). NO_COLOR=1 turns colour off.
`

// checkUsage is what sniper check -h says before the flags.
const checkUsage = `Usage: sniper check -whitelist FILE [flags]

sniper check reads the settings and the whitelist file as sniper would, and
stops there, without connecting. When all is well it prints the whitelist's
entries as sniper reads them (on stdout) and exits 0; otherwise it prints
every problem, each naming what to fix, and exits 2. Names the item
catalogue could not check are warnings (on stderr), counted after OK.
It takes sniper's flags, environment and .env: use it with -env-file to check
what a service will read.
`

// printUsage writes the help that sniper -h asks for.
func printUsage(w io.Writer, flags *flag.FlagSet, dir string) {
	printSettingsUsage(w, sniperUsage, flags, dir)
}

// printCheckUsage writes the help that sniper check -h asks for.
func printCheckUsage(w io.Writer, flags *flag.FlagSet, dir string) {
	printSettingsUsage(w, checkUsage, flags, dir)
}

// printSettingsUsage writes header, where settings come from, and every flag.
func printSettingsUsage(w io.Writer, header string, flags *flag.FlagSet, dir string) {
	where := dir
	if where == "" || where == "." {
		where = "the current directory"
	}
	fmt.Fprintf(w, `%s
Every setting can also come from its environment variable (env NAME below) or
from a .env file of NAME=value lines in %s (or the file
-env-file names). A flag wins over the environment, and the environment wins
over .env.

Flags:
`, header, where)
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

// parseURLs returns s, one WebSocket URL or several comma-separated, if each
// is one, without the spaces around them.
func parseURLs(s string) (string, error) {
	urls := strings.Split(s, ",")
	for i, u := range urls {
		u, err := parseURL(u, "ws", "wss")
		if err != nil {
			if len(urls) > 1 {
				return "", fmt.Errorf("URL %d of %d: %w", i+1, len(urls), err)
			}
			return "", err
		}
		urls[i] = u
	}
	return strings.Join(urls, ","), nil
}

// URLs returns the feed's URLs, one for each connection (the list wraps).
func (c Config) URLs() []string {
	urls := strings.Split(c.URL, ",")
	out := make([]string, max(c.Connections, 1))
	for i := range out {
		out[i] = urls[i%len(urls)]
	}
	return out
}

// parseConnections reads -connections: a whole number from 1 to
// actors.MaxLines.
func parseConnections(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > actors.MaxLines {
		return 0, fmt.Errorf("must be a whole number from 1 to %d: 2 keeps the feed whole while one connection reconnects", actors.MaxLines)
	}
	return n, nil
}

// connectionsConfig settles -connections when it is unset: one for each
// -url (one URL: 1), or 2 with -demo, which shows a line carrying the feed
// while the other reconnects. A -url list longer than the connections would
// leave a route unused: that is a problem to fix, not a guess to make.
func connectionsConfig(c *Config) []error {
	urls := strings.Count(c.URL, ",") + 1
	switch {
	case c.Demo:
		if c.Connections == 0 {
			c.Connections = 2
		}
		return nil // the demo feed's own URLs stand for -url
	case c.Connections == 0 && urls <= actors.MaxLines:
		c.Connections = urls
	case c.Connections == 0:
		c.Connections = 1
		return []error{fmt.Errorf("-url (ROLL_WS_URL) names %d URLs: at most %d connections can use them, name fewer", urls, actors.MaxLines)}
	case urls > c.Connections:
		return []error{fmt.Errorf("-url (ROLL_WS_URL) names %d URLs but -connections (ROLL_CONNECTIONS) is %d: set -connections %d to use them all, or name fewer", urls, c.Connections, urls)}
	}
	return nil
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

// parseDays reads a duration above zero, in days too ("3d"), or 0 (or
// "off") for none.
func parseDays(s string) (time.Duration, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "0", "off":
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || !(n > 0) || n > 3650 {
			return 0, errors.New("not a number of days: write a duration such as 3d or 72h, or 0 for none")
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	var d time.Duration
	if err := durationSetter(&d)(s); err != nil {
		return 0, errors.New("not a duration: write one such as 3d or 72h, or 0 for none")
	}
	return d, nil
}

// boolSetter returns a setter that stores a true or false into p.
func boolSetter(p *bool) func(string) error {
	return func(s string) (err error) {
		if *p, err = strconv.ParseBool(strings.TrimSpace(s)); err != nil {
			return errors.New("must be true or false")
		}
		return nil
	}
}

// Bounds on -read-limit: below the smallest the largest real batch frame
// needs, every session would end at its first burst; above, one frame could
// take a small server's memory.
const (
	minReadLimit = 16 << 10
	maxReadLimit = 256 << 20
)

// sizeUnits are the units parseSize accepts, in lower case.
var sizeUnits = map[string]int64{"": 1, "b": 1, "kb": 1000, "kib": 1 << 10, "mb": 1000 * 1000, "mib": 1 << 20}

// largeSizeUnits are the units parseRecordMax accepts: sizeUnits and more.
var largeSizeUnits = map[string]int64{"": 1, "b": 1, "kb": 1000, "kib": 1 << 10, "mb": 1000 * 1000, "mib": 1 << 20,
	"gb": 1000 * 1000 * 1000, "gib": 1 << 30, "tb": 1000 * 1000 * 1000 * 1000, "tib": 1 << 40}

// parseSize reads a byte count such as 1048576, 512KiB or 4MB within the
// bounds on -read-limit.
func parseSize(s string) (int64, error) {
	n, unit, err := parseBytes(s, sizeUnits)
	if err != nil {
		return 0, errors.New("not a size: write a number of bytes, or a number and KiB or MiB, such as 512KiB or 4MiB")
	}
	if n > maxReadLimit/unit || n*unit < minReadLimit {
		return 0, fmt.Errorf("must be between %dKiB and %dMiB", minReadLimit>>10, maxReadLimit>>20)
	}
	return n * unit, nil
}

// minRecordMax is the smallest -record-max but 0: a few of the smallest
// segments the recorder writes (see recordSegmentBytes).
const minRecordMax = 8 << 20

// parseRecordMax reads -record-max: 0 for no limit, or a size of at least
// minRecordMax, such as 500MiB or 10GiB.
func parseRecordMax(s string) (int64, error) {
	n, unit, err := parseBytes(s, largeSizeUnits)
	if err != nil {
		return 0, errors.New("not a size: write a number and MiB or GiB, such as 500MiB or 10GiB, or 0 for no limit")
	}
	if n > math.MaxInt64/unit {
		return 0, errors.New("too large")
	}
	if n != 0 && n*unit < minRecordMax {
		return 0, fmt.Errorf("must be 0 (no limit) or at least %dMiB, so that the journal holds more than the segment being written", minRecordMax>>20)
	}
	return n * unit, nil
}

// parseBytes splits a size such as 512KiB into its number and its unit, one
// of units.
func parseBytes(s string, units map[string]int64) (n, unit int64, err error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(s)
	}
	n, err = strconv.ParseInt(s[:i], 10, 64)
	unit, ok := units[strings.ToLower(strings.TrimSpace(s[i:]))]
	if err == nil && !ok {
		err = errors.New("unknown unit")
	}
	return n, unit, err
}

// parseListenAddr returns s as host:port to listen on. A port alone (":9090"
// or "9090") listens on loopback only: metrics are shown to the world only when
// the user names a host such as 0.0.0.0.
func parseListenAddr(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if !strings.Contains(s, ":") {
		s = ":" + s
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", errors.New("not an address: write a port such as :9090, or host:port such as 0.0.0.0:9090")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", errors.New("the port must be a number from 0 to 65535")
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// parseWebhook returns s if it is a Discord webhook URL: https, or http to a
// loopback address for testing. Its value is a secret: no error quotes it.
func parseWebhook(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || strings.ContainsAny(s, " \t\r\n") {
		return "", errors.New("not a URL: copy the whole webhook URL from Discord (channel settings, Integrations, Webhooks, Copy Webhook URL)")
	}
	switch {
	case strings.EqualFold(u.Scheme, "https"):
	case strings.EqualFold(u.Scheme, "http") && isLoopback(u.Hostname()):
	default:
		return "", errors.New("must start with https://: copy the whole webhook URL from Discord")
	}
	if err := discord.Validate(s); err != nil {
		return "", err
	}
	return s, nil
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseFormat returns the format (of what, in the error) named s, in any
// case.
func parseFormat(s, what string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case "auto", "text", "json":
		return f, nil
	}
	return "", errors.New("unknown " + what + " format: use auto, text or json")
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
		slog.Bool("backoff-jitter", c.BackoffJitter),
		slog.Duration("stale-after", c.StaleAfter),
		slog.Int64("read-limit", c.ReadLimit),
		slog.Int("connections", c.Connections),
		slog.Duration("shutdown-timeout", c.ShutdownTimeout),
		slog.String("procs", procsText(c.Procs)),
		slog.String("metrics-addr", c.MetricsAddr),
		slog.String("whitelist", c.Whitelist),
		slog.Duration("unseen-after", c.UnseenAfter),
		slog.String("discord-webhook", setOrUnset(c.DiscordWebhook)),
		slog.String("output", c.Output),
		slog.String("record", c.Record),
		slog.Int64("record-max", c.RecordMax),
		slog.String("log-format", c.LogFormat),
		slog.String("log-level", strings.ToLower(c.LogLevel.String())),
		slog.Bool("demo", c.Demo),
		slog.String("env-file", c.EnvFile),
		slog.String("nats", natsrec.Redact(c.NATSURL)),
		slog.String("nats-creds", c.NATSCreds),
		slog.String("nats-subject", c.NATSSubjects.Prefix),
		slog.String("nats-durable", c.NATSDurable),
		slog.String("nats-embedded", c.NATSEmbedded),
		slog.String("source", natsrec.Redact(c.Source)),
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
