package main

// End-to-end tests of what a trader sees on a terminal: the real binary with
// its stdout and its stderr each on a pseudo-terminal of its own.

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
)

// terminal is the far side of a pseudo-terminal the program writes to.
type terminal struct {
	out  *lines
	done chan struct{} // closed once the program's side is closed and read to the end
}

// openTerminal opens a pseudo-terminal and returns the side the program
// writes to, to give to the command (close it once the command has
// started), and the side the test reads.
func openTerminal(t *testing.T) (*os.File, *terminal) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this machine: %v", err)
	}
	term := &terminal{out: newLines(), done: make(chan struct{})}
	go func() {
		defer close(term.done)
		defer ptmx.Close()
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			// The terminal turns each "\n" into "\r\n".
			term.out.Write([]byte(strings.ReplaceAll(string(buf[:n]), "\r\n", "\n")))
			if err != nil { // EIO once the program and we have closed tty
				return
			}
		}
	}()
	t.Cleanup(func() { tty.Close() })
	return tty, term
}

// onTerminals runs sniper against a fake feed with its stdout and stderr on
// terminals, with env added to the test's environment (less any NO_COLOR)
// and args added to fast settings and a whitelist; publishes a trade it
// does not match, one it matches and the first again; stops it with SIGINT;
// and returns what each terminal showed.
func onTerminals(t *testing.T, env []string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	wanted := srv.NewTrade()
	other := otherTrade(srv, wanted)
	outTTY, out := openTerminal(t)
	errTTY, errs := openTerminal(t)

	cmd := exec.CommandContext(ctx, buildSniper(t), append([]string{"-url", srv.URL(), "-backoff-initial", "1ms", "-backoff-max", "8ms",
		"-whitelist", writeFile(t, "wl.json", whitelistFor(wanted))}, args...)...)
	cmd.Dir = t.TempDir() // no .env there
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NO_COLOR=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, "ROLL_SESSION="), env...)
	cmd.Stdout, cmd.Stderr = outTTY, errTTY
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	outTTY.Close()
	errTTY.Close()
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		t.Fatalf("%v; stderr:\n%s", err, errs.out)
	}
	srv.Publish(other, wanted, other)
	out.out.waitLines(ctx, t, 4) // three trades and a match
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; stderr:\n%s", err, errs.out)
	}
	for _, term := range []*terminal{out, errs} {
		select {
		case <-term.done:
		case <-ctx.Done():
			t.Fatal("a terminal was not closed after the program exited")
		}
	}
	return out.out.String(), errs.out.String()
}

// On a terminal, records are text in colour, a match badged, and the logs
// are in colour too.
func TestBinaryColourOnATerminal(t *testing.T) {
	stdout, stderr := onTerminals(t, nil)
	if n := strings.Count(stdout, "\x1b[2mtrade\x1b[0m"); n != 3 {
		t.Errorf("%d coloured trade records, want 3:\n%q", n, stdout)
	}
	if n := strings.Count(stdout, "\x1b[1;30;42mMATCH\x1b[0m"); n != 1 {
		t.Errorf("%d badged match records, want 1:\n%q", n, stdout)
	}
	if strings.Contains(stdout, "{") || strings.Contains(stdout, "LISTED") || strings.Contains(stdout, "INF") {
		t.Errorf("records on a terminal are JSON, say LISTED or carry a level:\n%q", stdout)
	}
	if !strings.Contains(stderr, "\x1b[") || !strings.Contains(stderr, "INF") {
		t.Errorf("the logs on a terminal are not coloured text:\n%q", stderr)
	}
}

// NO_COLOR, set to anything, takes the colour out of the records and the
// logs alike; the records stay text.
func TestBinaryNoColor(t *testing.T) {
	for _, value := range []string{"1", "false"} {
		stdout, stderr := onTerminals(t, []string{"NO_COLOR=" + value})
		if strings.Contains(stdout, "\x1b[") || strings.Contains(stderr, "\x1b[") {
			t.Errorf("NO_COLOR=%s: escapes on a terminal:\nstdout %q\nstderr %q", value, stdout, stderr)
		}
		if strings.Count(stdout, " trade ") != 3 || strings.Count(stdout, " MATCH ") != 1 {
			t.Errorf("NO_COLOR=%s: want 3 text trade records and a match:\n%s", value, stdout)
		}
	}
}

// -output json on a terminal: JSON records for a script, with the logs still
// coloured text for the person watching.
func TestBinaryJSONRecordsWithHumanLogs(t *testing.T) {
	stdout, stderr := onTerminals(t, nil, "-output", "json")
	checkJSONRecords(t, stdout)
	if !strings.Contains(stderr, "\x1b[") || strings.Contains(stderr, `"msg":`) {
		t.Errorf("the logs are not coloured text:\n%q", stderr)
	}
}

// checkJSONRecords fails unless out is three trade records and one match
// record, in JSON.
func checkJSONRecords(t *testing.T, out string) {
	t.Helper()
	if n := len(records(t, out, "trade")); n != 3 {
		t.Errorf("%d JSON trade records, want 3:\n%s", n, out)
	}
	if n := len(records(t, out, "match")); n != 1 {
		t.Errorf("%d JSON match records, want 1:\n%s", n, out)
	}
}

// Piped, records are JSON lines whatever the log's format: text logs do not
// make text records.
func TestPipedRecordsAreJSON(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	wanted := srv.NewTrade()
	other := otherTrade(srv, wanted)
	s := runSniper(ctx, t, "-url", srv.URL(), "-log-format", "text", "-whitelist", writeFile(t, "wl.json", whitelistFor(wanted)))
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	srv.Publish(other, wanted, other)
	s.stdout.waitLines(ctx, t, 4)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	checkJSONRecords(t, s.stdout.String())
	if logs := s.stderr.String(); !strings.Contains(logs, " INF starting ") || strings.Contains(logs, `"msg":`) {
		t.Errorf("the logs are not text:\n%s", logs)
	}
}
