package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

func TestVersionOf(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tt := range []struct {
		name             string
		info             *debug.BuildInfo
		stamped, stampRv string
		want             buildVersion
	}{
		{"no build info", nil, "", "", buildVersion{Version: "devel", GoVersion: runtime.Version()}},
		{"go install …@v1.2.3", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.2.3"}}, "", "",
			buildVersion{Version: "v1.2.3", GoVersion: "go1.26.1"}},
		{"a build outside a checkout", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"}}, "", "",
			buildVersion{Version: "devel", GoVersion: "go1.26.1"}},
		{"a git checkout with changes", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.0.0-20261128200720-e56c84023717+dirty"}, Settings: vcs("e56c84023717dec4", "true")}, "", "",
			buildVersion{Version: "v0.0.0-20261128200720-e56c84023717+dirty", Revision: "e56c84023717dec4", Modified: true, GoVersion: "go1.26.1"}},
		{"a clean checkout, VCS only", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"}, Settings: vcs("abc", "false")}, "", "",
			buildVersion{Version: "devel", Revision: "abc", GoVersion: "go1.26.1"}},
		{"stamped by GoReleaser", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"}, Settings: vcs("abc", "true")}, "v1.4.0", "def",
			buildVersion{Version: "v1.4.0", Revision: "def", GoVersion: "go1.26.1"}},
		{"version stamped alone keeps the VCS revision", &debug.BuildInfo{GoVersion: "go1.26.1", Settings: vcs("abc", "false")}, "v1.4.0", "",
			buildVersion{Version: "v1.4.0", Revision: "abc", GoVersion: "go1.26.1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionOf(tt.info, tt.stamped, tt.stampRv); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestVersionLine(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	for _, tt := range []struct {
		v         buildVersion
		line, rev string
	}{
		{buildVersion{Version: "v1.2.3", GoVersion: "go1.26.1"}, "sniper v1.2.3 (go1.26.1, " + platform + ")", "unknown"},
		{buildVersion{Version: "devel", Revision: "abc", Modified: true, GoVersion: "go1.26.1"},
			"sniper devel (revision abc with uncommitted changes, go1.26.1, " + platform + ")", "abc-dirty"},
		{buildVersion{Version: "v1.2.3", Revision: "abc", GoVersion: "go1.26.1"}, "sniper v1.2.3 (revision abc, go1.26.1, " + platform + ")", "abc"},
	} {
		if got := tt.v.String(); got != tt.line {
			t.Errorf("%+v: got %q, want %q", tt.v, got, tt.line)
		}
		if got := tt.v.revisionLabel(); got != tt.rev {
			t.Errorf("%+v: revision label %q, want %q", tt.v, got, tt.rev)
		}
	}
}

// releaseStamp is what the tests stamp into the release build in place of
// GoReleaser's templates.
var releaseStamp = map[string]string{
	"{{.Version}}":    "1.2.3-test",
	"{{.FullCommit}}": "0123456789abcdef0123456789abcdef01234567",
}

// releaseBinary builds sniper with the build settings of .goreleaser.yaml
// (environment, flags and ldflags, GoReleaser's templates filled in from
// releaseStamp), once per test binary run, so that a release's version stamp
// cannot silently miss (-X on a variable that does not exist is ignored).
func releaseBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	// Beside the plain build, so that TestMain removes it with that.
	dir := filepath.Dir(buildSniper(t))
	releaseOnce.Do(func() {
		releaseBin, releaseErr = buildRelease(filepath.Join(dir, "sniper-release"))
	})
	if releaseErr != nil {
		t.Fatal(releaseErr)
	}
	return releaseBin
}

var (
	releaseOnce sync.Once
	releaseBin  string
	releaseErr  error
)

func buildRelease(bin string) (string, error) {
	data, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		return "", err
	}
	doc, err := parseYAMLSubset(string(data))
	if err != nil {
		return "", fmt.Errorf(".goreleaser.yaml: %w", err)
	}
	builds, _ := doc.(map[string]any)["builds"].([]any)
	if len(builds) != 1 {
		return "", fmt.Errorf(".goreleaser.yaml: want one build, got %d", len(builds))
	}
	build := builds[0].(map[string]any)
	if build["main"] != "./cmd/sniper" {
		return "", fmt.Errorf(".goreleaser.yaml builds main %v, want ./cmd/sniper", build["main"])
	}
	strs := func(key string) ([]string, error) {
		var out []string
		list, _ := build[key].([]any)
		for _, v := range list {
			s := v.(string)
			for tmpl, val := range releaseStamp {
				s = strings.ReplaceAll(s, tmpl, val)
			}
			if strings.Contains(s, "{{") {
				return nil, fmt.Errorf(".goreleaser.yaml %s %q: the test does not know this template; add it to releaseStamp", key, s)
			}
			out = append(out, s)
		}
		return out, nil
	}
	env, err := strs("env")
	if err != nil {
		return "", err
	}
	flags, err := strs("flags")
	if err != nil {
		return "", err
	}
	ldflags, err := strs("ldflags")
	if err != nil {
		return "", err
	}
	args := append([]string{"build"}, flags...)
	args = append(args, "-ldflags", strings.Join(ldflags, " "), "-o", bin, ".")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

// The release build prints the version and revision GoReleaser stamps, and
// exits 0.
func TestBinaryVersionStampedByARelease(t *testing.T) {
	out, err := exec.Command(releaseBinary(t), "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("sniper -version: %v\n%s", err, out)
	}
	want := fmt.Sprintf("sniper v%s (revision %s, %s, %s/%s)\n", releaseStamp["{{.Version}}"], releaseStamp["{{.FullCommit}}"], runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if string(out) != want {
		t.Errorf("sniper -version printed %q, want %q", out, want)
	}

	// The starting line carries it too. A whitelist that does not exist stops
	// the program right after that line.
	cmd := exec.Command(releaseBinary(t), "-log-format", "json", "-whitelist", filepath.Join(t.TempDir(), "missing.json"))
	cmd.Dir = t.TempDir()
	logs, _ := cmd.CombinedOutput()
	if wantLine := `"msg":"starting","version":"v` + releaseStamp["{{.Version}}"] + `",`; !strings.Contains(string(logs), wantLine) {
		t.Errorf("no %s in the log:\n%s", wantLine, logs)
	}
}

// A build from a git checkout says which commit it is, and whether the tree
// had uncommitted changes, as git sees them.
func TestBinaryVersionFromAGitCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if fi, err := os.Stat("../../.git"); err != nil || !fi.IsDir() {
		t.Skip("not a git clone (the go command stamps VCS information only where .git is a directory)")
	}
	git := func(args ...string) string {
		out, err := exec.Command("git", args...).Output()
		if err != nil {
			t.Skipf("git %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	head := git("rev-parse", "HEAD")
	dirty := git("status", "--porcelain") != ""
	bin := filepath.Join(t.TempDir(), "sniper")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-version").Output()
	if err != nil {
		t.Fatalf("sniper -version: %v", err)
	}
	rev := "revision " + head
	if dirty {
		rev += " with uncommitted changes"
	}
	// The module version is a pseudo-version made from the commit (or a tag).
	want := regexp.MustCompile(`^sniper v\S+ \(` + regexp.QuoteMeta(rev) + `, go`)
	if !want.Match(out) {
		t.Errorf("sniper -version printed %q, want it to match %v", out, want)
	}
}
