package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rollsniper/rollsniper/internal/gctune"
)

func TestProcsFor(t *testing.T) {
	for _, tt := range []struct {
		name   string
		cfg    Config
		envSet bool
		want   int
	}{
		{"the feed alone: one P", Config{}, false, 1},
		{"whitelist and alerts are the feed's work", Config{Whitelist: "wl.json", DiscordWebhook: "https://discord.com/api/webhooks/1/t"}, false, 1},
		{"-record compresses beside the feed", Config{Record: "journal"}, false, 8},
		{"-nats publishes beside the feed", Config{NATSURL: "nats://127.0.0.1:4222"}, false, 8},
		{"-nats-embedded runs a server beside it", Config{NATSEmbedded: "js"}, false, 8},
		{"GOMAXPROCS set: the user's", Config{}, true, 8},
		{"-procs wins over everything", Config{Procs: 3, Record: "journal"}, true, 3},
	} {
		if got := procsFor(tt.cfg, 8, tt.envSet); got != tt.want {
			t.Errorf("%s: procsFor = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestProcsSetting(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		want    int
		wantErr string
	}{
		{nil, 0, ""},
		{[]string{"-procs", "auto"}, 0, ""},
		{[]string{"-procs", "2"}, 2, ""},
		{[]string{"-procs", "0"}, 0, "want auto or a whole number"},
		{[]string{"-procs", "many"}, 0, "want auto or a whole number"},
	} {
		cfg, err := parseConfig(tt.args, func(string) string { return "" }, t.TempDir(), nil)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "-procs") {
				t.Errorf("%q: err %v, want one naming -procs and saying %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || cfg.Procs != tt.want {
			t.Errorf("%q: Procs %d, err %v; want %d", tt.args, cfg.Procs, err, tt.want)
		}
	}
}

// The built program runs on the Ps procsFor gives, with the garbage
// collector's target gctune gives, and says both in its starting line.
func TestBinaryProcs(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"the feed alone", nil, "", `"procs":1`},
		{"GOMAXPROCS set", nil, "GOMAXPROCS=3", `"procs":3`},
		{"-procs", []string{"-procs", "2"}, "GOMAXPROCS=3", `"procs":2`},
		{"the GC's target", nil, "", fmt.Sprintf(`"gogc":%d`, gctune.Percent)},
		{"GOGC set", nil, "GOGC=150", `"gogc":150`},
		{"GOGC off", nil, "GOGC=off", `"gogc":-1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			bin := buildSniper(t)
			cmd := exec.CommandContext(ctx, bin, append([]string{"-url", "ws://127.0.0.1:1/ws", "-log-format", "json"}, tt.args...)...)
			cmd.Dir = t.TempDir()
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "GOMAXPROCS=") && !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "ROLL_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			if tt.env != "" {
				cmd.Env = append(cmd.Env, tt.env)
			}
			stderr := newLines()
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			stderr.waitFor(ctx, t, `"msg":"starting"`)
			line := ""
			for l := range strings.Lines(stderr.String()) {
				if strings.Contains(l, `"msg":"starting"`) {
					line = l
				}
			}
			if !strings.Contains(line, tt.want) {
				t.Errorf("starting line %s: want %s", line, tt.want)
			}
		})
	}
}
