package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// health asks a running sniper whether it is ready, through its /readyz: sniper
// health [-addr ADDR] [-timeout D]. It prints the answer and returns nil when
// the program is subscribed and the feed is alive, and an error saying why not
// otherwise (exit status 1), so that a container's or a supervisor's health
// check needs no shell or curl. The address defaults to ROLL_METRICS_ADDR, as
// the program reads it, then to :9090.
func health(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	flags := flag.NewFlagSet("sniper health", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	addr := flags.String("addr", cmp.Or(getenv("ROLL_METRICS_ADDR"), ":9090"), "`address` the program serves metrics on (its -metrics-addr); a host of 0.0.0.0 or none asks loopback")
	timeout := flags.Duration("timeout", 5*time.Second, "give up after this `duration`")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, "Usage: sniper health [-addr ADDR] [-timeout D]\n\nAsks a running sniper's /readyz whether it is subscribed and receiving the feed:\nexit status 0 if so, 1 if not or if it cannot be reached.\n\nFlags:\n")
			flags.SetOutput(stdout)
			flags.PrintDefaults()
			return err
		}
		return &ConfigError{Problems: []error{fmt.Errorf("sniper health: %w (sniper health -h lists its flags)", err)}}
	}
	if flags.NArg() > 0 {
		return &ConfigError{Problems: []error{errors.New("sniper health takes no arguments, only -addr and -timeout")}}
	}
	target, err := healthTarget(*addr)
	if err != nil {
		return &ConfigError{Problems: []error{fmt.Errorf("sniper health -addr %q: %w", *addr, err)}}
	}
	url := "http://" + target + "/readyz"

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach sniper at %s: %w: is it running, with -metrics-addr (ROLL_METRICS_ADDR) on that port?", url, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	answer := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s (HTTP %d)", url, answer, resp.StatusCode)
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, answer)
	return nil
}

// healthTarget is the host:port to ask for addr, as -metrics-addr reads it: a
// port alone or an unspecified host (0.0.0.0, ::) is asked on loopback.
func healthTarget(addr string) (string, error) {
	hostPort, err := parseListenAddr(addr)
	if err != nil {
		return "", err
	}
	if hostPort == "" {
		return "", errors.New("empty: name the address sniper serves metrics on, such as :9090")
	}
	host, port, _ := net.SplitHostPort(hostPort) // parseListenAddr checked it
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port), nil
}
