package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/record"
)

func TestLogHandlerJSON(t *testing.T) {
	var stderr bytes.Buffer
	logs := slog.New(newHandler("json", slog.LevelInfo, &stderr, false))
	logs.Info("connected", "session", 1)
	logs.Warn("reconnecting", "delay", 2*time.Second)

	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	want := []string{"connected", "reconnecting"}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), stderr.String())
	}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		if rec["msg"] != want[i] {
			t.Errorf("line %d: msg = %v, want %q", i+1, rec["msg"], want[i])
		}
		if rec["msg"] == "reconnecting" && rec["delay"] != "2s" {
			t.Errorf("delay = %#v, want \"2s\": durations read as text in JSON", rec["delay"])
		}
	}
}

func TestLogTextHasNoColourOffTerminal(t *testing.T) {
	for _, format := range []string{"auto", "text"} {
		t.Run(format, func(t *testing.T) {
			var stderr bytes.Buffer
			logs := slog.New(newHandler(format, slog.LevelDebug, &stderr, false))
			logs.Error("dial failed", "err", "refused")
			logs.Debug("frame", "bytes", 42)
			out := stderr.String()
			if strings.Contains(out, "\x1b[") {
				t.Errorf("the log holds ANSI escapes: %q", out)
			}
			if !strings.Contains(out, "dial failed err=refused") || !strings.Contains(out, "frame bytes=42") {
				t.Errorf("log = %q", out)
			}
		})
	}
}

func TestLogLevels(t *testing.T) {
	tests := []struct {
		level slog.Level
		logs  []string // messages on stderr out of debug, info, warn, error
	}{
		{slog.LevelDebug, []string{"debug", "info", "warn", "error"}},
		{slog.LevelInfo, []string{"info", "warn", "error"}},
		{slog.LevelWarn, []string{"warn", "error"}},
		{slog.LevelError, []string{"error"}},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			var stderr bytes.Buffer
			logs := slog.New(newHandler("json", tt.level, &stderr, false))
			for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
				logs.Log(t.Context(), l, strings.ToLower(l.String()))
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				var rec struct{ Msg string }
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("%v: %s", err, line)
				}
				got = append(got, rec.Msg)
			}
			if strings.Join(got, ",") != strings.Join(tt.logs, ",") {
				t.Errorf("stderr messages = %v, want %v", got, tt.logs)
			}
		})
	}
}

// The records' format follows -output, the terminal and NO_COLOR, and
// nothing of the log's.
func TestRecordFormat(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "trades"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	term := terminalStandIn(t)
	tests := []struct {
		output   string
		terminal bool
		noColor  bool
		want     record.Format
	}{
		{"auto", true, false, record.Color},
		{"auto", true, true, record.Text},
		{"auto", false, false, record.JSON},
		{"auto", false, true, record.JSON},
		{"text", true, false, record.Color},
		{"text", true, true, record.Text},
		{"text", false, false, record.Text},
		{"json", true, false, record.JSON},
		{"json", false, false, record.JSON},
	}
	for _, tt := range tests {
		w := file
		if tt.terminal {
			w = term
		}
		if got := recordFormat(tt.output, w, tt.noColor); got != tt.want {
			t.Errorf("recordFormat(%q, terminal %v, NO_COLOR %v) = %v, want %v", tt.output, tt.terminal, tt.noColor, got, tt.want)
		}
	}
}

// terminalStandIn is a character device that isTerminal takes for a
// terminal: the null device.
func terminalStandIn(t *testing.T) *os.File {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the null device is no character device on Windows")
	}
	dev, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	return dev
}

func TestIsTerminal(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if isTerminal(file) {
		t.Error("a regular file counts as a terminal")
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer counts as a terminal")
	}
	if !isTerminal(terminalStandIn(t)) {
		t.Errorf("%s, a character device, does not count as a terminal", os.DevNull)
	}
}
