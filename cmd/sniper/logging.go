package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/actors"
)

// outputs are the program's two output files, each written by an
// actors.Output of its own, and the loggers that write records to them: the
// operational log (stderr), and the trade and match records (stdout), each
// stream counted apart when it has to be dropped. Nothing that logs or prints
// ever waits on the files: when one stalls, its records are dropped and
// counted, and the connection, the whitelist and the alerts carry on.
type outputs struct {
	stdout, stderr        *actors.Output
	logs, trades, matches *slog.Logger
}

// How much each output holds while its file does not keep up: about 5,000
// trade records on stdout (a few seconds of a burst, an hour of the real
// feed), and a few thousand log records on stderr.
const (
	stdoutLimit = 1 << 20
	stderrLimit = 512 << 10
)

// newOutputs builds the outputs that write to stdout and stderr, in format,
// the operational log from level up. Nothing runs until their Run is called.
func newOutputs(format string, level slog.Level, stdout, stderr io.Writer) *outputs {
	o := &outputs{
		stdout: actors.NewOutput("stdout", stdout, stdoutLimit, false, "trade", "match"),
		stderr: actors.NewOutput("stderr", stderr, stderrLimit, true, "log"),
	}
	o.logs, o.trades = newLoggers(format, level, o.stdout.Stream("trade"), o.stderr.Stream("log"))
	o.matches = slog.New(newHandler(format, min(level, slog.LevelInfo), o.stdout.Stream("match")))
	o.stdout.SetLog(o.logs, true)
	o.stderr.SetLog(o.logs, false)
	return o
}

// newLoggers builds the operational logger, which writes to stderr, and the trade
// logger, which writes to stdout, in format (auto, text or json).
//
// auto and text both write tint's text, in colour only when the writer is a
// terminal; json writes one JSON object a line. level filters the operational
// logger; the trade logger shows Info and above whatever level says (and Debug
// when level does), so that quieting the status messages never hides trades.
func newLoggers(format string, level slog.Level, stdout, stderr io.Writer) (logs, trades *slog.Logger) {
	logs = slog.New(newHandler(format, level, stderr))
	trades = slog.New(newHandler(format, min(level, slog.LevelInfo), stdout))
	return logs, trades
}

// newHandler returns the handler for format that writes to w from level up.
func newHandler(format string, level slog.Level, w io.Writer) slog.Handler {
	if format == "json" {
		return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: durationText})
	}
	return tint.NewTextHandler(w, &tint.Options{
		Level:      level,
		TimeFormat: "15:04:05.000",
		NoColor:    !isTerminal(w),
	})
}

// isTerminal reports whether w, or the file it writes for (an actors.Output's
// stream), is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	if u, ok := w.(interface{ Unwrap() io.Writer }); ok {
		w = u.Unwrap()
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// durationText writes durations as text ("2s") rather than slog's default
// nanosecond count, so a reconnect's delay reads the same in JSON as in text.
func durationText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}
