package gqlws

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestDialFailedSaysWhatIsWrongInWords(t *testing.T) {
	// The errors as the library wraps them: a *net.OpError inside url.Error
	// inside its own text.
	op := func(err error) error {
		return fmt.Errorf("failed to WebSocket dial: failed to send handshake request: Get \"https://router.csgoroll.com/ws\": %w",
			&net.OpError{Op: "dial", Net: "tcp", Err: err})
	}
	for _, tt := range []struct {
		name       string
		err        error
		wantWhat   string
		wantAdvice string
	}{
		{"no such host", op(&net.DNSError{Err: "no such host", Name: "router.csgoroll.com", IsNotFound: true}), "DNS lookup failed", "check the network"},
		{"refused", op(os.NewSyscallError("connect", syscall.ECONNREFUSED)), "connection refused", "check the network, and -url (ROLL_WS_URL)"},
		{"unreachable", op(os.NewSyscallError("connect", syscall.ENETUNREACH)), "the network is unreachable", "check the network"},
		{"reset", op(os.NewSyscallError("read", syscall.ECONNRESET)), "the connection was reset", "check the network, and any proxy or firewall"},
		{"certificate", op(x509.UnknownAuthorityError{}), "the TLS handshake failed", "check the system clock, and any proxy or firewall between here and the feed"},
		{"timeout", fmt.Errorf("failed to WebSocket dial: %w", context.DeadlineExceeded), "no answer in time", "check the network"},
		{"anything else", errors.New("failed to WebSocket dial: something odd"), "no answer", "check the network"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			re := DialFailed("router.csgoroll.com", tt.err)
			if want := "cannot reach router.csgoroll.com: " + tt.wantWhat; re.Problem != want || re.Advice != tt.wantAdvice {
				t.Errorf("DialFailed = %q / %q, want %q / %q", re.Problem, re.Advice, want, tt.wantAdvice)
			}
			if re.Reason != ReasonDial || re.Error() != "dial: "+tt.err.Error() {
				t.Errorf("DialFailed = %s %q: want the label dial and the library's text kept", re.Reason, re.Error())
			}
		})
	}
}

func TestWaitMessage(t *testing.T) {
	dns := DialFailed("router.csgoroll.com", &net.DNSError{Err: "no such host", Name: "router.csgoroll.com", IsNotFound: true})
	notFound := ClassifyUpgrade(404, nil, []byte("<h1>Not Found</h1>"), time.Now()).(*RetryError)
	rejected := SubscriptionRejected([]byte(`{"id":"1","type":"error","payload":[{"message":"unknown field"}]}`))
	for _, tt := range []struct {
		name string
		w    Wait
		want string
	}{
		{"never connected", Wait{Err: dns, Delay: 8 * time.Second, Attempt: 4},
			"cannot reach router.csgoroll.com: DNS lookup failed; check the network; retrying in 8s, forever"},
		{"lost the connection", Wait{Err: dns, Delay: time.Second, Attempt: 1, EverConnected: true},
			"cannot reach router.csgoroll.com: DNS lookup failed; check the network; reconnecting in 1s"},
		{"a plain error's text", Wait{Err: Retry(ReasonDropped, errors.New("the connection was dropped without a close frame")), Delay: 2 * time.Second, EverConnected: true},
			"the connection was dropped without a close frame; reconnecting in 2s"},
		{"a setting to check, and the server's words", Wait{Err: notFound, Delay: time.Minute},
			`upgrade refused with HTTP 404 Not Found (the feed said: "<h1>Not Found</h1>"); check -url (ROLL_WS_URL); retrying in 1m0s, forever`},
		{"the subscription", Wait{Err: rejected, Delay: time.Minute, EverConnected: true},
			"server rejected the subscription: unknown field; check -subscription (ROLL_SUBSCRIPTION); reconnecting in 1m0s"},
		{"another connection carries the feed", Wait{Err: Retry(ReasonDropped, errors.New("the connection was dropped without a close frame")), Delay: time.Second, EverConnected: true, Covered: true},
			"the connection was dropped without a close frame; reconnecting in 1s; the feed still arrives on another connection"},
	} {
		if got := tt.w.Message(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// A feed that stays down is said at error level after several failures in a
// row, sooner when a setting may be wrong, and again every so often.
func TestWaitLevel(t *testing.T) {
	transient := Retry(ReasonDial, errors.New("x"))
	suspect := &RetryError{Err: errors.New("x"), Reason: ReasonHTTPOther, Setting: SettingURL}
	for _, tt := range []struct {
		err     *RetryError
		errorAt []int // the attempts from 1 to 30 logged at error level
	}{
		{transient, []int{5, 15, 25}},
		{suspect, []int{3, 13, 23}},
	} {
		var got []int
		for attempt := 1; attempt <= 30; attempt++ {
			switch level := (Wait{Err: tt.err, Attempt: attempt}).Level(); level {
			case slog.LevelError:
				got = append(got, attempt)
			case slog.LevelWarn:
			default:
				t.Fatalf("attempt %d at level %v", attempt, level)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.errorAt) {
			t.Errorf("setting %q: error level at attempts %v, want %v", tt.err.Setting, got, tt.errorAt)
		}
	}
}

// With two connections a failure while the other carries the feed loses
// nothing: info, or a warning where a setting may be wrong (that line may
// never come back). Error level counts the failures while the feed as a
// whole was down, not those while it was covered.
func TestWaitLevelWithAnotherConnection(t *testing.T) {
	transient := Retry(ReasonDial, errors.New("x"))
	suspect := &RetryError{Err: errors.New("x"), Reason: ReasonHTTPOther, Setting: SettingURL}
	for attempt := 1; attempt <= 30; attempt++ {
		if level := (Wait{Err: transient, Attempt: attempt, Covered: true}).Level(); level != slog.LevelInfo {
			t.Errorf("covered failure %d at %v, want info", attempt, level)
		}
		want := slog.LevelInfo
		if attempt == 3 || attempt == 13 || attempt == 23 {
			want = slog.LevelWarn
		}
		if level := (Wait{Err: suspect, Attempt: attempt, Covered: true}).Level(); level != want {
			t.Errorf("covered failure %d of a suspect setting at %v, want %v", attempt, level, want)
		}
	}
	// Eight failures while covered, then the other connection went too: the
	// feed has been down for three of them, not eleven.
	for down, want := range map[int]slog.Level{1: slog.LevelWarn, 3: slog.LevelWarn, 5: slog.LevelError, 6: slog.LevelWarn, 15: slog.LevelError} {
		if level := (Wait{Err: transient, Attempt: 8 + down, DownStreak: down}).Level(); level != want {
			t.Errorf("attempt %d, the feed down for %d of them: %v, want %v", 8+down, down, level, want)
		}
	}
}

func TestHost(t *testing.T) {
	for in, want := range map[string]string{
		"wss://router.csgoroll.com/ws": "router.csgoroll.com",
		"ws://127.0.0.1:8080/ws":       "127.0.0.1",
		"not a url at all: %zz":        "not a url at all: %zz",
	} {
		if got := Host(in); got != want {
			t.Errorf("Host(%q) = %q, want %q", in, got, want)
		}
	}
}
