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
)

func TestNewLoggersJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	logs, trades := newLoggers("json", slog.LevelInfo, &stdout, &stderr)
	logs.Info("connected", "session", 1)
	logs.Warn("reconnecting", "delay", 2*time.Second)
	trades.Info("trade", "id", "T1")

	for _, tt := range []struct {
		name string
		out  string
		msgs []string
	}{
		{"stderr", stderr.String(), []string{"connected", "reconnecting"}},
		{"stdout", stdout.String(), []string{"trade"}},
	} {
		lines := strings.Split(strings.TrimSuffix(tt.out, "\n"), "\n")
		if len(lines) != len(tt.msgs) {
			t.Fatalf("%s: got %d lines, want %d:\n%s", tt.name, len(lines), len(tt.msgs), tt.out)
		}
		for i, line := range lines {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("%s line %d is not a JSON object: %v\n%s", tt.name, i+1, err, line)
			}
			if rec["msg"] != tt.msgs[i] {
				t.Errorf("%s line %d: msg = %v, want %q", tt.name, i+1, rec["msg"], tt.msgs[i])
			}
			if rec["msg"] == "reconnecting" && rec["delay"] != "2s" {
				t.Errorf("delay = %#v, want \"2s\": durations read as text in JSON", rec["delay"])
			}
		}
	}
}

func TestNewLoggersTextHasNoColourOffTerminal(t *testing.T) {
	for _, format := range []string{"auto", "text"} {
		t.Run(format, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			logs, trades := newLoggers(format, slog.LevelDebug, &stdout, &stderr)
			logs.Error("dial failed", "err", "refused")
			logs.Debug("frame", "bytes", 42)
			trades.Info("trade", "id", "T1")
			for name, out := range map[string]string{"stderr": stderr.String(), "stdout": stdout.String()} {
				if strings.Contains(out, "\x1b[") {
					t.Errorf("%s holds ANSI escapes: %q", name, out)
				}
				if strings.HasPrefix(out, "{") {
					t.Errorf("%s is JSON, want text: %s", name, out)
				}
			}
			if !strings.Contains(stderr.String(), "dial failed err=refused") || !strings.Contains(stderr.String(), "frame bytes=42") {
				t.Errorf("stderr = %q", stderr.String())
			}
			if !strings.Contains(stdout.String(), "trade id=T1") {
				t.Errorf("stdout = %q", stdout.String())
			}
		})
	}
}

func TestNewLoggersLevels(t *testing.T) {
	tests := []struct {
		level      slog.Level
		logs       []string // messages on stderr out of debug, info, warn, error
		tradeDebug bool     // whether a Debug record reaches stdout
	}{
		{slog.LevelDebug, []string{"debug", "info", "warn", "error"}, true},
		{slog.LevelInfo, []string{"info", "warn", "error"}, false},
		{slog.LevelWarn, []string{"warn", "error"}, false},
		{slog.LevelError, []string{"error"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			logs, trades := newLoggers("json", tt.level, &stdout, &stderr)
			for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
				logs.Log(t.Context(), l, strings.ToLower(l.String()))
			}
			trades.Debug("trade debug")
			trades.Info("trade")

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
			// Trades show whatever the level, so quieting the logs never hides one.
			if !strings.Contains(stdout.String(), `"msg":"trade"`) {
				t.Errorf("the trade is missing at level %v: %s", tt.level, stdout.String())
			}
			if got := strings.Contains(stdout.String(), "trade debug"); got != tt.tradeDebug {
				t.Errorf("trade debug shown = %v, want %v", got, tt.tradeDebug)
			}
		})
	}
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
	if runtime.GOOS == "windows" {
		return
	}
	dev, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if !isTerminal(dev) {
		t.Errorf("%s, a character device, does not count as a terminal", os.DevNull)
	}
}
