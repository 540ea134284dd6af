package main

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
)

// runHealth runs the built binary's sniper health with args and extra
// environment, and returns its exit status, stdout and stderr.
func runHealth(ctx context.Context, t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, buildSniper(t), append([]string{"health"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatal(err)
	return 0, "", ""
}

// sniper health against the real binary: 0 while it is subscribed and
// receiving, 1 with the reason once it is not, 1 when nothing answers, and 2
// for a flag to fix.
func TestBinaryHealth(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	cmd, sc, stderr := startSniper(ctx, t, srv, "-metrics-addr", "127.0.0.1:0")
	addr := strings.TrimPrefix(soakMetricsURL(ctx, t, stderr), "http://")
	publishIDs(srv, 1)
	if !sc.Scan() {
		t.Fatalf("no trade printed; stderr:\n%s", stderr)
	}

	code, out, errOut := runHealth(ctx, t, nil, "-addr", addr)
	if code != 0 || out != "http://"+addr+"/readyz: ready\n" {
		t.Errorf("ready: exit %d, stdout %q, stderr %q; want 0 and ready", code, out, errOut)
	}
	// As in the container: no -addr, ROLL_METRICS_ADDR on every interface.
	_, port, _ := strings.Cut(addr, ":")
	if code, out, errOut := runHealth(ctx, t, []string{"ROLL_METRICS_ADDR=0.0.0.0:" + port}); code != 0 || !strings.Contains(out, "127.0.0.1:"+port) {
		t.Errorf("ROLL_METRICS_ADDR=0.0.0.0:%s: exit %d, stdout %q, stderr %q; want 0, asked on loopback", port, code, out, errOut)
	}

	// The feed goes away and refuses to come back.
	srv.RefuseNext(1<<30, http.StatusServiceUnavailable, nil)
	srv.DropAll()
	stderr.waitFor(ctx, t, `"delay_from"`)
	code, out, errOut = runHealth(ctx, t, nil, "-addr", addr)
	if code != 1 || out != "" || !strings.Contains(errOut, "sniper: http://"+addr+"/readyz: not ready: the connection is ") || !strings.Contains(errOut, "(HTTP 503)") {
		t.Errorf("not ready: exit %d, stdout %q, stderr %q; want 1 and why", code, out, errOut)
	}
	stopSniper(t, cmd, sc)
}

// stopSniper interrupts the binary, reads the rest of its stdout, and checks
// that it exits 0.
func stopSniper(t *testing.T, cmd *exec.Cmd, sc *bufio.Scanner) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("sniper after SIGINT: %v", err)
	}
}

func TestBinaryHealthWithoutAProgram(t *testing.T) {
	ctx := testCtx(t)
	// A port that was free a moment ago: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, _, errOut := runHealth(ctx, t, nil, "-addr", addr)
	if code != 1 || !strings.Contains(errOut, "cannot reach sniper at http://"+addr+"/readyz") || !strings.Contains(errOut, "-metrics-addr") {
		t.Errorf("nothing listening: exit %d, stderr %q; want 1, naming the address and -metrics-addr", code, errOut)
	}
	for _, args := range [][]string{{"-addr", "nonsense"}, {"-addr", ""}, {"-bogus"}, {"extra"}} {
		if code, _, errOut := runHealth(ctx, t, nil, args...); code != 2 {
			t.Errorf("sniper health %q: exit %d (%s), want 2", args, code, errOut)
		}
	}
	if code, out, _ := runHealth(ctx, t, nil, "-h"); code != 0 || !strings.Contains(out, "Usage: sniper health") {
		t.Errorf("sniper health -h: exit %d, stdout %q; want 0 and the usage", code, out)
	}
}
