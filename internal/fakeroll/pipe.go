package fakeroll

// This file serves the feed over in-memory connections instead of TCP, so
// that a test can run a client against it inside a testing/synctest bubble:
// every wait is then on a channel or a timer of the bubble, and the bubble's
// clock runs a half-minute ping interval in no time at all.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// PipeURL is the URL a client of StartPipe dials. Nothing resolves its host:
// the client StartPipe returns connects to the server in memory.
const PipeURL = "ws://fakeroll.pipe/ws"

// pipeBuffer is how many writes one direction of a pipe holds before a
// writer waits, as a socket's buffer would: enough for a burst of trades and
// the pings and pongs between them.
const pipeBuffer = 4096

// StartPipe starts a server reached through in-memory connections, and
// returns it with the HTTP client that dials them (dial PipeURL with it).
// Each direction of a connection delivers what is written after latency, in
// order, and buffers up to a few thousand writes, like a socket: a writer
// does not wait for the reader unless the buffer is full. Started inside a
// testing/synctest bubble, the server, its connections and the latency run on
// the bubble's clock. Close stops it; the client keeps no idle connection.
func StartPipe(opts Options, latency time.Duration) (*Server, *http.Client) {
	s := New(opts)
	ln := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{}), latency: latency}
	s.url = PipeURL
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.serveDone = make(chan struct{})
	go func() {
		defer close(s.serveDone)
		if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	client := &http.Client{Transport: &http.Transport{DialContext: ln.dial, DisableKeepAlives: true}}
	return s, client
}

// pipeListener hands the server the far ends of the connections its client
// dials.
type pipeListener struct {
	conns   chan net.Conn
	done    chan struct{}
	once    sync.Once
	latency time.Duration
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial connects a new in-memory connection to the server.
func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	c, s := newPipeConn(client, l.latency), newPipeConn(server, l.latency)
	c.peer, s.peer = s, c
	select {
	case l.conns <- s:
		return c, nil
	case <-l.done:
	case <-ctx.Done():
	}
	c.Close()
	s.Close()
	return nil, fmt.Errorf("fakeroll: dial %s: %w", PipeURL, net.ErrClosed)
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "fakeroll.pipe" }

// pipeConn is one end of an in-memory connection: reads and deadlines are
// net.Pipe's; writes go to a buffer that a goroutine of its own empties into
// the pipe, each write no sooner than latency after it was made.
type pipeConn struct {
	net.Conn
	peer    *pipeConn // the other end
	latency time.Duration
	out     chan pipeChunk
	closing chan struct{} // closed by Close
	pumped  chan struct{} // closed when pump has returned
	once    sync.Once
}

type pipeChunk struct {
	data []byte
	at   time.Time
}

func newPipeConn(c net.Conn, latency time.Duration) *pipeConn {
	p := &pipeConn{Conn: c, latency: latency, out: make(chan pipeChunk, pipeBuffer),
		closing: make(chan struct{}), pumped: make(chan struct{})}
	go p.pump()
	return p
}

// Write buffers a copy of b; it waits only while the buffer is full.
func (p *pipeConn) Write(b []byte) (int, error) {
	select {
	case <-p.closing:
		return 0, net.ErrClosed
	default:
	}
	select {
	case p.out <- pipeChunk{data: slices.Clone(b), at: time.Now()}:
		return len(b), nil
	case <-p.closing:
		return 0, net.ErrClosed
	case <-p.pumped:
		return 0, io.ErrClosedPipe
	}
}

// Read is net.Pipe's, except that once this end is closed a read fails with
// net.ErrClosed, one in progress too, as on a socket.
func (p *pipeConn) Read(b []byte) (int, error) {
	n, err := p.Conn.Read(b)
	if err != nil {
		select {
		case <-p.closing:
			return n, net.ErrClosed
		default:
		}
	}
	return n, err
}

// Close closes the connection as a socket closes: at once for the caller
// (a read in progress fails), while what is still buffered goes on to the
// peer (after its latency), and only then does the peer read the end of the
// stream. Once both ends are closed nobody reads any more, and what is still
// in flight is dropped.
func (p *pipeConn) Close() error {
	p.once.Do(func() {
		close(p.closing)
		// Ends a read in progress on this end, which a peer that reads
		// nothing (so that the pump cannot close the pipe) would otherwise
		// hold forever.
		_ = p.Conn.SetReadDeadline(time.Unix(1, 0))
		select {
		case <-p.peer.closing:
			p.Conn.Close()
			p.peer.Conn.Close()
		default:
		}
	})
	return nil
}

// pump writes the buffered chunks to the pipe, in order, each once its
// latency has passed; once the connection is closed and the buffer empty, or
// the peer has gone, it closes the pipe.
func (p *pipeConn) pump() {
	defer close(p.pumped)
	defer p.Conn.Close()
	for {
		var c pipeChunk
		select {
		case c = <-p.out:
		case <-p.closing:
			select {
			case c = <-p.out:
			default:
				return
			}
		}
		if wait := time.Until(c.at.Add(p.latency)); wait > 0 {
			time.Sleep(wait)
		}
		if _, err := p.Conn.Write(c.data); err != nil {
			return
		}
	}
}
