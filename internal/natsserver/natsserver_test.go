package natsserver

import (
	"net"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server/pse"
	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// StopProcSampling reaches the server's sampling: the file its ticks read is
// gone, so the next tick schedules no other (what the server's statistics
// then read fails too, which is what this can see).
func TestStopProcSamplingEndsTheServersSampling(t *testing.T) {
	var cpu float64
	var rss, vss int64
	if err := pse.ProcUsage(&cpu, &rss, &vss); err != nil {
		t.Fatalf("before StopProcSampling, ProcUsage = %v, want the process's statistics", err)
	}
	StopProcSampling()
	if err := pse.ProcUsage(&cpu, &rss, &vss); err == nil {
		t.Error("ProcUsage still reads the process's statistics after StopProcSampling: the link no longer reaches pse's path")
	}
}

func TestStartServesJetStreamAndShutsDown(t *testing.T) {
	s, err := Start(Config{StoreDir: t.TempDir(), Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	if !strings.HasPrefix(s.URL(), "nats://127.0.0.1:") {
		t.Errorf("URL %q, want nats://127.0.0.1:PORT", s.URL())
	}
	nc, err := nats.Connect(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// A JetStream API request is answered only when JetStream runs.
	if _, err := nc.Request("$JS.API.INFO", nil, 5e9); err != nil {
		t.Fatalf("JetStream API: %v", err)
	}
}

func TestStartRequiresTheLogin(t *testing.T) {
	s, err := Start(Config{StoreDir: t.TempDir(), Port: -1, User: "me", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	if nc, err := nats.Connect(s.URL()); err == nil {
		nc.Close()
		t.Fatal("connected without the login")
	}
	nc, err := nats.Connect(s.URL(), nats.UserInfo("me", "pw"))
	if err != nil {
		t.Fatalf("with the login: %v", err)
	}
	nc.Close()
}

func TestStartRefusesWhatItCannotDo(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"port in use", Config{StoreDir: t.TempDir(), Port: port}, "address already in use"},
		{"not loopback", Config{StoreDir: t.TempDir(), Host: "0.0.0.0", Port: -1}, "not a loopback address"},
		{"no store", Config{Port: -1}, "no store directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Start(c.cfg)
			if err == nil {
				s.Shutdown()
				t.Fatal("Start = nil error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}
