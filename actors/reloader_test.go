package actors

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

// Two good whitelists and a broken one for the reload tests: a Redline trade
// matches wlA only, a Vulcan trade wlB only.
const (
	wlA      = `{"items": [{"name": "AK-47 | Redline"}]}`
	wlB      = `{"items": [{"name": "AK-47 | Vulcan"}, {"name": "AWP | Asiimov"}]}`
	wlBroken = `{"items": [{"name": "AK-47 | Vulcan", "wear": "Fresh"}, {"name": "AWP | Asiimov", "maxmarkup": 3}]}`
)

var (
	reloadRedline = messages.Trade{MarketName: "AK-47 | Redline (Field-Tested)", Wear: messages.WearFieldTested, CanJoin: true}
	reloadVulcan  = messages.Trade{MarketName: "AK-47 | Vulcan (Factory New)", Wear: messages.WearFactoryNew, CanJoin: true}
)

// reloadEnv is a reloader running on a temporary file inside a synctest
// bubble, with its triggers in the test's hands: after poll or hup returns, the
// reloader has acted and is waiting again (synctest.Wait).
type reloadEnv struct {
	path   string
	sink   *Whitelist
	rec    *logtest.Recorder
	hupCh  chan struct{}
	tickCh chan time.Time
}

// reloadTest writes initial to a file, loads it into a sink, runs a reloader
// on it in a synctest bubble for the length of f, and checks that Run returns
// nil when its context ends.
func reloadTest(t *testing.T, initial string, f func(t *testing.T, e *reloadEnv)) {
	synctest.Test(t, func(t *testing.T) {
		e, log := newReloadEnv(t, initial)
		e.hupCh, e.tickCh = make(chan struct{}), make(chan time.Time)
		r := NewWhitelistReloader(WhitelistReloaderConfig{Path: e.path, Sink: e.sink, HUP: e.hupCh, Tick: e.tickCh, Log: log})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		f(t, e)
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v, want nil when ctx ends", err)
		}
	})
}

// newReloadEnv writes initial to a file in a directory of its own, and
// returns the env of a sink loaded from it, with the log its reloader is to
// write to; the triggers are unset.
func newReloadEnv(t *testing.T, initial string) (*reloadEnv, *slog.Logger) {
	t.Helper()
	e := &reloadEnv{path: filepath.Join(t.TempDir(), "whitelist.json")}
	e.write(t, initial)
	l, err := whitelist.Load(e.path)
	if err != nil {
		t.Fatal(err)
	}
	e.sink = NewWhitelist(WhitelistConfig{List: l})
	var log *slog.Logger
	e.rec, log = logtest.New()
	return e, log
}

// write replaces the file the way editors do: write a new file, rename it over.
func (e *reloadEnv) write(t *testing.T, data string) {
	t.Helper()
	tmp := e.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, e.path); err != nil {
		t.Fatal(err)
	}
}

// poll sends a tick and waits until the reloader has acted on it.
func (e *reloadEnv) poll() {
	e.tickCh <- time.Time{}
	synctest.Wait()
}

// hup sends a SIGHUP and waits until the reloader has acted on it.
func (e *reloadEnv) hup() {
	e.hupCh <- struct{}{}
	synctest.Wait()
}

// matches reports whether the sink's current list matches tr.
func (e *reloadEnv) matches(tr messages.Trade) bool {
	_, r := e.sink.List().Match(&tr)
	return r == whitelist.Matched
}

// records returns the reload records so far: reloads and failures.
func (e *reloadEnv) records() []logtest.Record {
	return append(e.rec.Matching("whitelist reloaded"), e.rec.Matching("whitelist reload failed; keeping the previous whitelist")...)
}

func (e *reloadEnv) wantList(t *testing.T, name string, redline, vulcan bool) {
	t.Helper()
	if got := e.matches(reloadRedline); got != redline {
		t.Errorf("%s: Redline matches = %v, want %v", name, got, redline)
	}
	if got := e.matches(reloadVulcan); got != vulcan {
		t.Errorf("%s: Vulcan matches = %v, want %v", name, got, vulcan)
	}
}

// pollB writes wlB, polls, and checks that it was reloaded as the only reload
// so far.
func (e *reloadEnv) pollB(t *testing.T, when string) {
	t.Helper()
	e.write(t, wlB)
	e.poll()
	if n := len(e.rec.Matching("whitelist reloaded")); n != 1 {
		t.Errorf("%s: %d reloads, want 1; logged:\n%s", when, n, e.rec.Dump())
	}
	e.wantList(t, when, false, true)
}

func TestWhitelistReloaderFileChange(t *testing.T) {
	reloadTest(t, wlA, func(t *testing.T, e *reloadEnv) {
		e.poll()
		if recs := e.records(); len(recs) != 0 {
			t.Fatalf("the first poll of an unchanged file logged:\n%s", e.rec.Dump())
		}

		e.write(t, wlB)
		e.poll()
		got := e.rec.Matching("whitelist reloaded")
		if len(got) != 1 || got[0].String("entries") != "2" || got[0].String("trigger") != "file change" || got[0].String("path") != e.path {
			t.Fatalf("reload records = %+v, want one with entries=2, trigger=file change and the path; logged:\n%s", got, e.rec.Dump())
		}
		e.wantList(t, "after the change", false, true)
		if n := e.sink.Stats().Entries; n != 2 {
			t.Errorf("Stats().Entries = %d, want 2", n)
		}

		// Touched but unchanged: no reload.
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(e.path, later, later); err != nil {
			t.Fatal(err)
		}
		e.poll()
		if n := len(e.records()); n != 1 {
			t.Errorf("a touch reloaded; logged:\n%s", e.rec.Dump())
		}

		// Written in place (same file, same size): the modification time tells.
		if err := os.WriteFile(e.path, []byte(strings.Replace(wlB, "AK-47 | Vulcan", "AK-47 | Cartel", 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(e.path, later.Add(time.Second), later.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		e.poll()
		if n := len(e.rec.Matching("whitelist reloaded")); n != 2 {
			t.Errorf("a write in place did not reload; logged:\n%s", e.rec.Dump())
		}
		e.wantList(t, "after the write in place", false, false)
	})
}

func TestWhitelistReloaderBrokenFileKeepsTheOldList(t *testing.T) {
	reloadTest(t, wlA, func(t *testing.T, e *reloadEnv) {
		e.write(t, wlBroken)
		e.poll()
		got := e.rec.Matching("whitelist reload failed; keeping the previous whitelist")
		if len(got) != 1 || got[0].Level != slog.LevelWarn {
			t.Fatalf("failure records = %+v, want one warning; logged:\n%s", got, e.rec.Dump())
		}
		for _, want := range []string{
			e.path + `: items[0].wear: unknown wear tier "Fresh"`,
			e.path + `: items[1]: unknown key "maxmarkup": did you mean "max_markup"?`,
		} {
			if !strings.Contains(got[0].String("err"), want) {
				t.Errorf("err = %q, want it to contain %q", got[0].String("err"), want)
			}
		}
		e.wantList(t, "after the broken file", true, false)

		// The same broken file is not reported again on every poll.
		e.poll()
		if n := len(e.records()); n != 1 {
			t.Errorf("the broken file was reported %d times; logged:\n%s", n, e.rec.Dump())
		}

		e.pollB(t, "after the fix")
	})
}

func TestWhitelistReloaderMissingFile(t *testing.T) {
	reloadTest(t, wlA, func(t *testing.T, e *reloadEnv) {
		if err := os.Remove(e.path); err != nil {
			t.Fatal(err)
		}
		e.poll()
		e.poll()
		got := e.rec.Matching("whitelist reload failed; keeping the previous whitelist")
		if len(got) != 1 || !strings.Contains(got[0].String("err"), "no such file") {
			t.Fatalf("failure records = %+v, want one naming the missing file; logged:\n%s", got, e.rec.Dump())
		}
		e.wantList(t, "while the file is missing", true, false)

		e.pollB(t, "after the file returned")
	})
}

func TestWhitelistReloaderSIGHUP(t *testing.T) {
	reloadTest(t, wlA, func(t *testing.T, e *reloadEnv) {
		// A reload asked for reloads and says so even when nothing changed.
		e.hup()
		got := e.rec.Matching("whitelist reloaded")
		if len(got) != 1 || got[0].String("trigger") != "SIGHUP" || got[0].String("entries") != "1" {
			t.Fatalf("reload records = %+v, want one with trigger=SIGHUP, entries=1; logged:\n%s", got, e.rec.Dump())
		}

		e.write(t, wlBroken)
		e.hup()
		e.poll() // the file was read on SIGHUP: the poll sees nothing new
		if got := e.rec.Matching("whitelist reload failed; keeping the previous whitelist"); len(got) != 1 || got[0].String("trigger") != "SIGHUP" {
			t.Errorf("failure records = %+v, want one with trigger=SIGHUP; logged:\n%s", got, e.rec.Dump())
		}
		e.wantList(t, "after SIGHUP with a broken file", true, false)

		// A SIGHUP while the file is missing says so, even when a poll did.
		if err := os.Remove(e.path); err != nil {
			t.Fatal(err)
		}
		e.poll()
		e.hup()
		if got := e.rec.Matching("whitelist reload failed; keeping the previous whitelist"); len(got) != 3 || got[2].String("trigger") != "SIGHUP" {
			t.Errorf("failure records = %+v, want a third with trigger=SIGHUP; logged:\n%s", got, e.rec.Dump())
		}

		e.write(t, wlB)
		e.hup()
		e.wantList(t, "after SIGHUP with a good file", false, true)
		if n := len(e.rec.Matching("whitelist reloaded")); n != 2 {
			t.Errorf("%d reloads, want 2; logged:\n%s", n, e.rec.Dump())
		}
	})
}

// A change made between the first load and Run is in use at once: Run polls
// as soon as it watches the directory, where the change told no watcher
// (Period and the backstop are far beyond the test's guard).
func TestWhitelistReloaderChangeBeforeRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // a guard against a hang, not a timing
	defer cancel()
	path := filepath.Join(t.TempDir(), "whitelist.json")
	if err := os.WriteFile(path, []byte(wlA), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := whitelist.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(wlB), 0o600); err != nil {
		t.Fatal(err)
	}
	sink := NewWhitelist(WhitelistConfig{List: l})
	rec, log := logtest.New()
	stop := runReloader(t, ctx, WhitelistReloaderConfig{Path: path, Sink: sink, Period: 10 * time.Minute, Log: log})
	rec.WaitCount(ctx, t, "whitelist reloaded", 1)
	stop()
	wantEntries(t, sink, 2)
}

// Where the directory cannot be watched (here it does not exist yet), the
// reloader says so and looks at the file every Period: the file it then
// finds is loaded.
func TestWhitelistReloaderPollsWhatItCannotWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // a guard against a hang, not a timing
	defer cancel()
	dir := filepath.Join(t.TempDir(), "later")
	path := filepath.Join(dir, "whitelist.json")
	l, err := whitelist.Parse([]byte(wlA))
	if err != nil {
		t.Fatal(err)
	}
	sink := NewWhitelist(WhitelistConfig{List: l})
	rec, log := logtest.New()
	stop := runReloader(t, ctx, WhitelistReloaderConfig{Path: path, Sink: sink, Period: 10 * time.Millisecond, Log: log})
	rec.WaitCount(ctx, t, "cannot watch the whitelist's directory: looking at the file every 10ms", 1)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(wlB), 0o600); err != nil {
		t.Fatal(err)
	}
	rec.WaitCount(ctx, t, "whitelist reloaded", 1)
	stop()
	wantEntries(t, sink, 2)
}

// runReloader runs a reloader for cfg until the stop it returns is called,
// which waits for Run and checks that it returned nil.
func runReloader(t *testing.T, ctx context.Context, cfg WhitelistReloaderConfig) (stop func()) {
	t.Helper()
	r := NewWhitelistReloader(cfg)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v, want nil when ctx ends", err)
		}
	}
}

// wantEntries checks that sink's list has n entries.
func wantEntries(t *testing.T, sink *Whitelist, n int) {
	t.Helper()
	if got := sink.List().Len(); got != n {
		t.Errorf("the list has %d entries, want %d", got, n)
	}
}

func TestWhitelistReloaderClosedHUP(t *testing.T) {
	reloadTest(t, wlA, func(t *testing.T, e *reloadEnv) {
		close(e.hupCh)
		synctest.Wait()
		e.write(t, wlB)
		e.poll()
		got := e.rec.Matching("whitelist reloaded")
		if len(got) != 1 || got[0].String("trigger") != "file change" {
			t.Errorf("a closed HUP stopped or triggered reloads:\n%s", e.rec.Dump())
		}
	})
}

// wlWarned is a whitelist that works but holds a name the catalogue cannot
// check, which is a warning.
const wlWarned = `{"items": [{"name": "AK-47 | Redline"}, {"name": "Sticker | Crown (Foil)"}]}`

// The list's warnings are logged when Run starts and after each reload of a
// file that has them, never for a reload that failed.
func TestReloaderLogsWhitelistWarnings(t *testing.T) {
	reloadTest(t, wlWarned, func(t *testing.T, e *reloadEnv) {
		warned := func() []logtest.Record { return e.rec.Matching("whitelist warning") }
		synctest.Wait()
		if w := warned(); len(w) != 1 || w[0].String("at") != "items[1].name" || !strings.Contains(w[0].String("warning"), "could not be checked") ||
			w[0].String("path") != e.path || w[0].Level != slog.LevelWarn {
			t.Fatalf("at start: %+v, want one warning for items[1].name", w)
		}
		e.write(t, wlB) // no warning
		e.poll()
		e.write(t, wlBroken) // not loaded: its state says nothing of a list
		e.poll()
		if n := len(warned()); n != 1 {
			t.Fatalf("%d warnings after a clean reload and a failed one, want still 1", n)
		}
		e.write(t, wlWarned)
		e.hup()
		if n := len(warned()); n != 2 {
			t.Errorf("%d warnings after reloading the file with one, want 2", n)
		}
	})
}

// Without a tick, the reloader watches the file's directory: an editor's save
// (a new file renamed over the old one) and then a write in place are each in
// use soon after, where neither its poll of Period (ten minutes here) nor
// its minute's backstop would have come within the test's guard.
func TestWhitelistReloaderWatchesTheFile(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // a guard against a hang, not a timing
	defer cancel()
	e, log := newReloadEnv(t, wlA)
	stop := runReloader(t, ctx, WhitelistReloaderConfig{Path: e.path, Sink: e.sink, Period: 10 * time.Minute, Log: log})
	e.rec.WaitCount(ctx, t, "watching the whitelist's directory for changes", 1)

	e.write(t, wlB)
	e.rec.WaitCount(ctx, t, "whitelist reloaded", 1)
	e.wantList(t, "after a save", false, true)
	if err := os.WriteFile(e.path, []byte(wlA), 0o600); err != nil {
		t.Fatal(err)
	}
	e.rec.WaitCount(ctx, t, "whitelist reloaded", 2)
	e.wantList(t, "after a write in place", true, false)
	stop()
}
