package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollsniper/rollsniper/internal/natsrec"
)

// defaultSubjects are -nats-subject's default.
var defaultSubjects = func() natsrec.Subjects {
	s, err := natsrec.NewSubjects(natsrec.DefaultPrefix)
	if err != nil {
		panic(err)
	}
	return s
}()

// credsFile writes a file shaped like a NATS credentials file (its JWT and
// seed are not real) and returns its path.
func credsFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "user.creds")
	creds := "-----BEGIN NATS USER JWT-----\neyJhbGciOi.notreal.notreal\n------END NATS USER JWT------\n\n" +
		"-----BEGIN USER NKEY SEED-----\nSUANOTAREALSEED\n------END USER NKEY SEED------\n"
	if err := os.WriteFile(path, []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseConfigNATS(t *testing.T) {
	creds := credsFile(t)
	team, err := natsrec.NewSubjects("team.desk")
	if err != nil {
		t.Fatal(err)
	}
	tests := []configCase{
		{"-nats", sources{args: []string{"-nats", "nats://127.0.0.1:4333"}},
			func(c *Config) { c.NATSURL = "nats://127.0.0.1:4333" }},
		{"ROLL_NATS_URL, a cluster with a login", sources{env: map[string]string{"ROLL_NATS_URL": "nats://" + testNATSLogin + "@a:4222, tls://b:4222"}},
			func(c *Config) { c.NATSURL = "nats://" + testNATSLogin + "@a:4222,tls://b:4222" }},
		{"-nats-creds", sources{args: []string{"-nats", "nats://h:4222", "-nats-creds", creds}},
			func(c *Config) { c.NATSURL, c.NATSCreds = "nats://h:4222", creds }},
		{"-nats-subject", sources{args: []string{"-nats", "nats://h", "-nats-subject", "team.desk"}},
			func(c *Config) { c.NATSURL, c.NATSSubjects = "nats://h", team }},
		{"-source and -nats-durable", sources{env: map[string]string{"ROLL_SOURCE": "nats://10.0.0.5:4222", "ROLL_NATS_DURABLE": "desk-2"}},
			func(c *Config) { c.Source, c.NATSDurable = "nats://10.0.0.5:4222", "desk-2" }},
		{"-nats-embedded publishes to the default address", sources{args: []string{"-nats-embedded", "js"}},
			func(c *Config) { c.NATSEmbedded, c.NATSURL = "js", "nats://127.0.0.1:4222" }},
		{"-nats-embedded on -nats's port", sources{args: []string{"-nats-embedded", "js", "-nats", "nats://127.0.0.1:4333"}},
			func(c *Config) { c.NATSEmbedded, c.NATSURL = "js", "nats://127.0.0.1:4333" }},
	}
	checkConfigCases(t, tests)
}

func TestParseConfigNATSProblems(t *testing.T) {
	notCreds := writeFile(t, "x.creds", "hello")
	tests := []struct {
		name string
		src  sources
		want string
	}{
		{"a subject with spaces", sources{args: []string{"-nats", "nats://h", "-nats-subject", "my feed"}},
			`-nats-subject (ROLL_NATS_SUBJECT) "my feed": has a space: a prefix is one or more names of letters, digits, - and _, separated by dots, such as rollsniper or team.rollsniper`},
		{"a missing creds file", sources{args: []string{"-nats", "nats://h", "-nats-creds", "nowhere/user.creds"}},
			`-nats-creds (ROLL_NATS_CREDS) "nowhere/user.creds": no such file: give the path of the .creds file your NATS administrator made`},
		{"a file that is no creds file", sources{args: []string{"-nats", "nats://h", "-nats-creds", notCreds}},
			`: not a NATS credentials file`},
		{"not a NATS URL", sources{args: []string{"-nats", "http://h:4222"}},
			`-nats (ROLL_NATS_URL): not a NATS server URL: write nats://HOST:PORT`},
		{"a URL without a host", sources{env: map[string]string{"ROLL_SOURCE": "nats://:4222"}},
			`-source (ROLL_SOURCE) from the environment: has no host name after nats://`},
		{"a bad port", sources{args: []string{"-nats", "nats://h:99999"}},
			`-nats (ROLL_NATS_URL): the port must be a number from 1 to 65535`},
		{"a durable name with a dot", sources{args: []string{"-source", "nats://h", "-nats-durable", "a.b"}},
			`-nats-durable (ROLL_NATS_DURABLE) "a.b": has a dot`},
		{"a durable without a source", sources{args: []string{"-nats-durable", "me"}},
			`-nats-durable (ROLL_NATS_DURABLE) names the consumer of -source (ROLL_SOURCE), which is not set`},
		{"a source that publishes too", sources{args: []string{"-source", "nats://h", "-nats", "nats://h"}},
			`-source (ROLL_SOURCE) reads trades from NATS, so leave out -nats (ROLL_NATS_URL)`},
		{"a source with the demo", sources{args: []string{"-source", "nats://h", "-demo"}},
			`so leave out -demo (ROLL_DEMO)`},
		{"an embedded server on another machine's address", sources{args: []string{"-nats-embedded", "js", "-nats", "nats://0.0.0.0:4222"}},
			`-nats-embedded (ROLL_NATS_EMBEDDED) listens where -nats (ROLL_NATS_URL) points: the embedded server listens on loopback only`},
		{"an embedded server with creds", sources{args: []string{"-nats-embedded", "js", "-nats-creds", credsFile(t)}},
			`-nats-creds (ROLL_NATS_CREDS) cannot be used with -nats-embedded`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parse(t, tt.src)
			if err == nil {
				t.Fatal("parseConfig = nil error")
			}
			if exitCode(err) != 2 {
				t.Errorf("exit code %d, want 2", exitCode(err))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to say:\n%s", err, tt.want)
			}
		})
	}
}

func TestConfigShowsNATSURLsWithoutTheirPassword(t *testing.T) {
	cfg, _, err := parse(t, sources{args: []string{"-source", "nats://" + testNATSLogin + "@h:4222"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{cfg.String(), cfg.GoString()} {
		assertNoSecrets(t, out)
		if !strings.Contains(out, `source="nats://trader:xxxxx@h:4222"`) {
			t.Errorf("config shows %s, want the source with its password hidden", out)
		}
	}
}
