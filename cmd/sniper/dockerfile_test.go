package main

import (
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// dockerInstr is one instruction of a Dockerfile: its keyword in upper case,
// its arguments (continuation lines joined) and its line.
type dockerInstr struct {
	cmd, args string
	line      int
}

// dockerStage is one FROM and the instructions under it.
type dockerStage struct {
	from, name string
	instrs     []dockerInstr
}

// readDockerfile splits the repository's Dockerfile into stages.
func readDockerfile(t *testing.T) []dockerStage {
	t.Helper()
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var stages []dockerStage
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if body, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		in := dockerInstr{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			st := dockerStage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile line %d: %s before the first FROM", in.line, in.cmd)
		}
		stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
	}
	if cur.Len() > 0 {
		t.Fatal("Dockerfile ends in a continuation line")
	}
	return stages
}

// find returns the stage's instructions with keyword cmd.
func (s dockerStage) find(cmd string) []dockerInstr {
	var out []dockerInstr
	for _, in := range s.instrs {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// execForm reads an instruction's JSON array form, ["a", "b"].
func execForm(t *testing.T, in dockerInstr) []string {
	t.Helper()
	var args []string
	if err := json.Unmarshal([]byte(in.args), &args); err != nil {
		t.Fatalf("Dockerfile line %d: %s %s: want the exec form, a JSON array (scratch has no shell): %v", in.line, in.cmd, in.args, err)
	}
	return args
}

// shellWords splits a RUN line's shell command into words, as sh would for
// the plain commands a build line needs: single and double quotes, and
// ${NAME} or $NAME expanded from vars. Anything that needs a real shell (&&,
// pipes, redirections, command substitution) is an error: the build line
// stays one command, so that it can be run here without Docker.
func shellWords(cmd string, vars map[string]string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
			continue
		case quote == '\'', quote == '"' && c != '$':
			w.WriteByte(c)
			continue
		case c == '$':
			name := ""
			if strings.HasPrefix(cmd[i+1:], "{") {
				end := strings.IndexByte(cmd[i:], '}')
				if end < 0 {
					return nil, errors.New("an unclosed ${")
				}
				name, i = cmd[i+2:i+end], i+end
			} else {
				j := i + 1
				for j < len(cmd) && (cmd[j] == '_' || 'A' <= cmd[j] && cmd[j] <= 'Z' || 'a' <= cmd[j] && cmd[j] <= 'z' || '0' <= cmd[j] && cmd[j] <= '9') {
					j++
				}
				name, i = cmd[i+1:j], j-1
			}
			v, ok := vars[name]
			if !ok || name == "" {
				return nil, fmt.Errorf("$%s is neither an ARG nor an ENV of the stage", name)
			}
			w.WriteString(v)
			inWord = inWord || v != "" // an empty unquoted expansion makes no word
			continue
		}
		switch c {
		case '\'', '"':
			quote, inWord = c, true
		case ' ', '\t':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		case '&', '|', ';', '<', '>', '`', '(', ')', '\\':
			return nil, fmt.Errorf("%q needs a shell: keep the build line one plain command", c)
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("an unclosed quote")
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// The Dockerfile's build stage runs a go build that works: the test runs that
// RUN line here as a plain go build (with the stage's ARGs and ENVs, the
// repository as its WORKDIR) and checks that the binary is static, prints the
// version passed as a build argument, and is the one the final stage copies
// and starts.
func TestDockerfileBuildsAWorkingBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	stages := readDockerfile(t)
	final := stages[len(stages)-1]

	// The final stage copies the binary from the build stage.
	var buildStage *dockerStage
	var copiedFrom, binPath string
	for _, in := range final.find("COPY") {
		f := strings.Fields(in.args)
		if len(f) == 3 && strings.HasPrefix(f[0], "--from=") && path.Base(f[1]) == "sniper" {
			copiedFrom, binPath = f[1], f[2]
			for i := range stages {
				if stages[i].name == strings.TrimPrefix(f[0], "--from=") {
					buildStage = &stages[i]
				}
			}
		}
	}
	if buildStage == nil {
		t.Fatal("the final stage copies no sniper binary from a build stage (COPY --from=STAGE .../sniper /sniper)")
	}

	// The build stage's variables: ENV values, ARG defaults, and VERSION as
	// docker build --build-arg VERSION=… would pass it.
	const version = "v9.8.7-docker"
	vars := map[string]string{}
	var run *dockerInstr
	for _, in := range buildStage.instrs {
		switch in.cmd {
		case "ARG", "ENV":
			name, val, _ := strings.Cut(in.args, "=")
			if uq, err := strconv.Unquote(val); err == nil {
				val = uq
			}
			vars[name] = val
		case "RUN":
			if strings.Contains(in.args, "go build") {
				run = &in
			}
		}
	}
	if run == nil {
		t.Fatalf("stage %s has no RUN … go build", buildStage.name)
	}
	if _, ok := vars["VERSION"]; !ok {
		t.Fatalf("stage %s has no ARG VERSION for docker build --build-arg VERSION=…", buildStage.name)
	}
	vars["VERSION"] = version
	words, err := shellWords(run.args, vars)
	if err != nil {
		t.Fatalf("Dockerfile line %d: %v", run.line, err)
	}
	var env []string
	for len(words) > 0 && strings.Contains(words[0], "=") {
		env, words = append(env, words[0]), words[1:]
	}
	if !slices.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("Dockerfile line %d: the build sets %v, want CGO_ENABLED=0 for a static binary", run.line, env)
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("Dockerfile line %d: want go build after the variables, got %q", run.line, words)
	}
	out := slices.Index(words, "-o")
	if out < 0 || out+1 >= len(words) || words[out+1] != copiedFrom {
		t.Fatalf("Dockerfile line %d: the build writes -o %v, but the final stage copies %s", run.line, words[out+1:], copiedFrom)
	}
	bin := filepath.Join(t.TempDir(), "sniper")
	words[out+1] = bin
	build := exec.Command(words[0], words[1:]...)
	build.Dir = "../.." // COPY . . into the WORKDIR
	build.Env = append(os.Environ(), env...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build, run as %q: %v\n%s", words, err, out)
	}

	got, err := exec.Command(bin, "-version").Output()
	if err != nil {
		t.Fatalf("sniper -version: %v", err)
	}
	if !strings.HasPrefix(string(got), "sniper "+version+" (") {
		t.Errorf("the image's sniper -version printed %q, want the version passed as VERSION, %s", got, version)
	}
	if runtime.GOOS == "linux" {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("the binary is dynamically linked (%v): scratch has no C library", p.Type)
			}
		}
	}

	// The final stage runs that binary, as a user other than root, with the
	// health check asking it on the port its metrics are served on.
	if ep := final.find("ENTRYPOINT"); len(ep) != 1 || !slices.Equal(execForm(t, ep[0]), []string{binPath}) {
		t.Errorf("the final stage's ENTRYPOINT is %v, want [%q]", ep, binPath)
	}
	users := final.find("USER")
	if len(users) == 0 {
		t.Error("the final stage has no USER: it would run as root")
	}
	for _, u := range users {
		if name, _, _ := strings.Cut(u.args, ":"); name == "root" || name == "0" {
			t.Errorf("Dockerfile line %d: USER %s runs as root", u.line, u.args)
		}
	}
	finalEnv := map[string]string{}
	for _, in := range final.find("ENV") {
		name, val, _ := strings.Cut(in.args, "=")
		finalEnv[name] = val
	}
	var environ []string
	for k, v := range finalEnv {
		environ = append(environ, k+"="+v)
	}
	if w := settingWarnings(Config{}, t.TempDir(), environ); len(w) > 0 {
		t.Errorf("the final stage's ENV: %v", w)
	}
	if _, err := parseConfig(nil, func(k string) string { return finalEnv[k] }, t.TempDir(), nil); err != nil {
		t.Errorf("the final stage's ENV is not a valid configuration: %v", err)
	}
	hc := final.find("HEALTHCHECK")
	if len(hc) != 1 {
		t.Fatalf("the final stage has %d HEALTHCHECK, want 1", len(hc))
	}
	_, cmdArgs, ok := strings.Cut(hc[0].args, "CMD ")
	if !ok {
		t.Fatalf("Dockerfile line %d: HEALTHCHECK without CMD", hc[0].line)
	}
	if check := execForm(t, dockerInstr{cmd: "HEALTHCHECK CMD", args: cmdArgs, line: hc[0].line}); len(check) < 2 || check[0] != binPath || check[1] != "health" {
		t.Errorf("Dockerfile line %d: the health check runs %q, want %s health", hc[0].line, check, binPath)
	}
	addr := finalEnv["ROLL_METRICS_ADDR"]
	if host, _, _ := strings.Cut(addr, ":"); host != "0.0.0.0" {
		t.Errorf("ROLL_METRICS_ADDR=%q in the image: want 0.0.0.0:PORT, so that Prometheus can reach it from outside the container", addr)
	}
	target, err := healthTarget(addr)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(target, ":")
	if expose := final.find("EXPOSE"); len(expose) != 1 || expose[0].args != port {
		t.Errorf("the image exposes %v, want the metrics port %s", expose, port)
	}
	if target != "127.0.0.1:"+port {
		t.Errorf("sniper health in the image asks %s, want loopback", target)
	}
}

func TestShellWords(t *testing.T) {
	vars := map[string]string{"VERSION": "v1", "EMPTY": ""}
	for _, tt := range []struct {
		cmd  string
		want []string
	}{
		{`CGO_ENABLED=0 go build -o /out/sniper ./cmd/sniper`, []string{"CGO_ENABLED=0", "go", "build", "-o", "/out/sniper", "./cmd/sniper"}},
		{`go build -ldflags="-s -w -X main.version=${VERSION}" .`, []string{"go", "build", "-ldflags=-s -w -X main.version=v1", "."}},
		{`a '$VERSION' "$VERSION" $EMPTY b`, []string{"a", "$VERSION", "v1", "b"}},
	} {
		got, err := shellWords(tt.cmd, vars)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("shellWords(%q) = %q, %v; want %q", tt.cmd, got, err, tt.want)
		}
	}
	for _, bad := range []string{`go mod download && go build .`, `go build -ldflags "$(git describe)" .`, `go build $NOPE`, `go build "x`} {
		if got, err := shellWords(bad, vars); err == nil {
			t.Errorf("shellWords(%q) = %q, want an error", bad, got)
		}
	}
}
