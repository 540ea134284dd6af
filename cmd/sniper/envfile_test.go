package main

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnvFile(t *testing.T) {
	noEnv := func(string) string { return "" }
	t.Run("-env-file replaces .env", func(t *testing.T) {
		dir := filepath.Dir(writeFile(t, ".env", "ROLL_LOG_LEVEL=debug\nROLL_BACKOFF_MAX=90s\n"))
		elsewhere := writeFile(t, "rollsniper.env", "ROLL_LOG_LEVEL=warn\n")
		cfg, err := parseConfig([]string{"-env-file", elsewhere}, noEnv, dir, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		want := defaultConfig()
		want.LogLevel = slog.LevelWarn
		want.EnvFile = elsewhere
		if cfg != want {
			t.Errorf("got  %v\nwant %v (the named file's settings, none of .env's)", cfg, want)
		}
	})
	t.Run("ROLL_ENV_FILE names it too; the flag wins", func(t *testing.T) {
		fromEnv := writeFile(t, "a.env", "ROLL_STALE_AFTER=1m\n")
		dir := filepath.Dir(fromEnv)
		if err := os.WriteFile(filepath.Join(dir, "b.env"), []byte("ROLL_STALE_AFTER=2m\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env := func(k string) string {
			if k == "ROLL_ENV_FILE" {
				return fromEnv
			}
			return ""
		}
		cfg, err := parseConfig(nil, env, dir, io.Discard)
		if err != nil || cfg.StaleAfter != time.Minute || cfg.EnvFile != fromEnv {
			t.Errorf("ROLL_ENV_FILE: stale-after %v, env-file %q, %v; want 1m from %s", cfg.StaleAfter, cfg.EnvFile, err, fromEnv)
		}
		cfg, err = parseConfig([]string{"-env-file", "b.env"}, env, dir, io.Discard)
		if err != nil || cfg.StaleAfter != 2*time.Minute {
			t.Errorf("-env-file b.env (relative) over ROLL_ENV_FILE: stale-after %v, %v; want 2m", cfg.StaleAfter, err)
		}
	})
	t.Run("a missing -env-file is a setting to fix", func(t *testing.T) {
		_, err := parseConfig([]string{"-env-file", "nowhere.env"}, noEnv, t.TempDir(), io.Discard)
		var ce *ConfigError
		if !errors.As(err, &ce) || exitCode(err) != 2 {
			t.Fatalf("got %v, want a *ConfigError (exit status 2)", err)
		}
		for _, want := range []string{"-env-file (ROLL_ENV_FILE)", `"nowhere.env"`, "no such file"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
	t.Run("a missing .env is fine", func(t *testing.T) {
		if _, err := parseConfig(nil, noEnv, t.TempDir(), io.Discard); err != nil {
			t.Errorf("no .env: %v", err)
		}
	})
	t.Run("a bad line in -env-file names the file", func(t *testing.T) {
		bad := writeFile(t, "bad.env", "ROLL_DEMO=1\nnot a setting\n")
		_, err := parseConfig([]string{"-env-file", bad}, noEnv, t.TempDir(), io.Discard)
		if err == nil || !strings.Contains(err.Error(), bad+" line 2") {
			t.Errorf("got %v, want the file and line 2 named", err)
		}
	})
}

// The real binary: a missing -env-file stops it with exit status 2 before it
// connects anywhere.
func TestBinaryMissingEnvFileExitsWithStatus2(t *testing.T) {
	cmd := exec.Command(buildSniper(t), "-env-file", "missing.env")
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("exit: %v, want status 2\n%s", err, out)
	}
	if !strings.Contains(string(out), `-env-file (ROLL_ENV_FILE) "missing.env": no such file`) {
		t.Errorf("output does not name the missing file:\n%s", out)
	}
}

func TestSettingWarnings(t *testing.T) {
	dir := filepath.Dir(writeFile(t, ".env", "ROLL_WHITELST=wl.json\nROLL_SESSION=s\nOTHER=1\nROLL_NOTHING_LIKE_ANY_SETTING=1\n"))
	environ := []string{"PATH=/bin", "ROLL_LOGLEVEL=debug", "ROLL_ENV_FILE=", "ROLL_DEMO=1", "roll_demo=1", "ROLL_METRICS_ADR=:9090"}
	got := settingWarnings(Config{}, dir, environ)
	want := []string{
		"unknown setting ROLL_NOTHING_LIKE_ANY_SETTING in .env: sniper -h lists the settings",
		"unknown setting ROLL_WHITELST in .env: did you mean ROLL_WHITELIST?",
		"unknown setting ROLL_LOGLEVEL in the environment: did you mean ROLL_LOG_LEVEL?",
		"unknown setting ROLL_METRICS_ADR in the environment: did you mean ROLL_METRICS_ADDR?",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	named := writeFile(t, "svc.env", "ROLL_SESION=x\n")
	got = settingWarnings(Config{EnvFile: named}, dir, nil)
	want = []string{"unknown setting ROLL_SESION in " + named + ": did you mean ROLL_SESSION?"}
	if !slices.Equal(got, want) {
		t.Errorf("with -env-file: got %q, want %q (and nothing from .env, which is not read)", got, want)
	}
}

func TestClosestName(t *testing.T) {
	known := []string{"ROLL_WHITELIST", "ROLL_WS_URL", "ROLL_LOG_LEVEL", "ROLL_LOG_FORMAT", "ROLL_DEMO", "ROLL_API_TOKEN"}
	for name, want := range map[string]string{
		"ROLL_WHITELST":   "ROLL_WHITELIST",
		"ROLL_WHITE_LIST": "ROLL_WHITELIST",
		"ROLL_URL":        "ROLL_WS_URL",
		"ROLL_LOG_FORMT":  "ROLL_LOG_FORMAT",
		"roll_demo":       "ROLL_DEMO",
		"ROLL_DEMOS":      "ROLL_DEMO",
		"ROLL_TOKEN":      "ROLL_API_TOKEN",
		"ROLL_LOG":        "", // LOG_LEVEL or LOG_FORMAT: no guess
		"ROLL_X":          "",
		"ROLL_SOMETHING":  "",
	} {
		if got := closestName(name, known); got != want {
			t.Errorf("closestName(%q) = %q, want %q", name, got, want)
		}
	}
}

// The warning reaches the log when the program starts, and sniper check's
// output.
func TestRunWarnsOfUnknownSettings(t *testing.T) {
	t.Setenv("ROLL_WHITELST", "wl.json")
	const warning = "unknown setting ROLL_WHITELST in the environment: did you mean ROLL_WHITELIST?"
	dir := t.TempDir()
	stderr := newLines()
	// A whitelist file that does not exist stops run once it has logged the
	// settings, before it connects.
	err := run(testCtx(t), []string{"-log-format", "json", "-whitelist", filepath.Join(dir, "missing.json")}, io.Discard, stderr)
	if exitCode(err) != 2 {
		t.Fatalf("run = %v, want the missing whitelist's exit status 2", err)
	}
	if !strings.Contains(stderr.String(), `"level":"WARN","msg":"`+warning+`"`) {
		t.Errorf("no warning in the log:\n%s", stderr)
	}

	var out strings.Builder
	wl := writeFile(t, "wl.json", `{"items": [{"name": "AK-47 | Redline"}]}`)
	if err := check([]string{"-whitelist", wl}, io.Discard, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "warning: "+warning+"\n") {
		t.Errorf("sniper check wrote:\n%s", out.String())
	}
}
