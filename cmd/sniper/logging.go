package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/record"
)

// outputs are the program's two output files, each written by an
// actors.Output of its own: the trade and match records on stdout, each
// stream counted apart when it has to be dropped, in the records' format
// (-output), and the operational log on stderr, in the log's (-log-format).
// Nothing that logs or prints ever waits on the files: when one stalls, its
// records are dropped and counted, and the connection, the whitelist and the
// alerts carry on.
type outputs struct {
	stdout, stderr  *actors.Output
	logs            *slog.Logger
	trades, matches io.Writer     // stdout's streams: one Write a record
	records         record.Format // the trade and match records' format
}

// How much each output holds while its file does not keep up: about 5,000
// trade records on stdout (a few seconds of a burst, an hour of the real
// feed), and a few thousand log records on stderr.
const (
	stdoutLimit = 1 << 20
	stderrLimit = 512 << 10
)

// newOutputs builds the outputs that write to stdout and stderr: the records
// in cfg.Output's format, the operational log in cfg.LogFormat from
// cfg.LogLevel up, neither in colour when noColor (NO_COLOR is set). Nothing
// runs until their Run is called.
func newOutputs(cfg Config, noColor bool, stdout, stderr io.Writer) *outputs {
	o := &outputs{
		stdout:  actors.NewOutput("stdout", stdout, stdoutLimit, false, "trade", "match"),
		stderr:  actors.NewOutput("stderr", stderr, stderrLimit, true, "log"),
		records: recordFormat(cfg.Output, stdout, noColor),
	}
	o.trades, o.matches = o.stdout.Stream("trade"), o.stdout.Stream("match")
	o.logs = slog.New(newHandler(cfg.LogFormat, cfg.LogLevel, o.stderr.Stream("log"), noColor))
	o.stdout.SetLog(o.logs, true)
	o.stderr.SetLog(o.logs, false)
	return o
}

// recordFormat is the records' format that -output asks for on w: auto is
// colour text on a terminal and JSON lines otherwise (a pipe, a file), text
// is text, in colour on a terminal, and json is JSON. noColor (NO_COLOR)
// takes the colour out of text.
func recordFormat(output string, w io.Writer, noColor bool) record.Format {
	switch {
	case output == "json", output == "auto" && !isTerminal(w):
		return record.JSON
	case noColor || !isTerminal(w):
		return record.Text
	}
	return record.Color
}

// newHandler returns the log handler for format that writes to w from level
// up. auto and text both write tint's text, in colour only when w is a
// terminal and noColor is false; json writes one JSON object a line.
func newHandler(format string, level slog.Level, w io.Writer, noColor bool) slog.Handler {
	if format == "json" {
		return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: durationText})
	}
	return tint.NewTextHandler(w, &tint.Options{
		Level:      level,
		TimeFormat: "15:04:05.000",
		NoColor:    noColor || !isTerminal(w),
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
