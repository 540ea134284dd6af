package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// -h, for sniper and each command, writes its own help to stdout (so that
// `sniper -h | less` works) and exits 0, with nothing on stderr.
func TestBinaryHelp(t *testing.T) {
	bin := buildSniper(t)
	for _, c := range []struct {
		args []string
		want []string // in the help
	}{
		{[]string{"-h"}, []string{"Usage: sniper [flags]", "  -version\n", "  -output format\n", "(env ROLL_OUTPUT) (default auto)", "NO_COLOR", "sniper check -whitelist FILE"}},
		{[]string{"--help"}, []string{"Usage: sniper [flags]"}},
		{[]string{"check", "-h"}, []string{"Usage: sniper check -whitelist FILE [flags]", "without connecting", "exits 2", "  -whitelist file\n"}},
		{[]string{"health", "-h"}, []string{"Usage: sniper health", "/readyz", "  -addr address\n"}},
		{[]string{"replay", "-h"}, []string{"Usage: sniper replay", "  -speed speed\n"}},
		{[]string{"backtest", "-h"}, []string{"Usage: sniper backtest", "  -from time\n"}},
	} {
		cmd := exec.Command(bin, c.args...)
		cmd.Dir = t.TempDir()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("sniper %s: %v, want exit status 0", strings.Join(c.args, " "), err)
		}
		for _, want := range c.want {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("sniper %s: stdout does not say %q:\n%s", strings.Join(c.args, " "), want, stdout.String())
			}
		}
		if stderr.Len() > 0 {
			t.Errorf("sniper %s wrote to stderr: %s", strings.Join(c.args, " "), stderr.String())
		}
	}
	// The command's help is its own: check's does not begin with sniper's.
	out, _ := exec.Command(bin, "check", "-h").Output()
	if strings.Contains(string(out), "Usage: sniper [flags]") {
		t.Errorf("sniper check -h shows sniper's usage:\n%s", out)
	}
}
