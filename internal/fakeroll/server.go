package fakeroll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// Options configure a Server. The zero value is a server that sends trades only
// when told to (Publish, SendRaw).
type Options struct {
	// TradeInterval > 0: the server's one market lists generated trades at
	// about this interval (jittered between half and one and a half times it),
	// and every subscribed connection gets each tick's trades, the same for
	// all, as on the real feed; a connection that is not subscribed at a tick
	// misses that tick's trades. 0: trades are sent only by Publish and
	// SendRaw.
	TradeInterval time.Duration
	// BatchMax is how many trades at most one automatic tick sends: one next
	// with them in the createTrades shape, one next each in the createTrade
	// shape. Default 1.
	BatchMax int
	// DropEvery > 0: every connection is dropped abruptly (no close frame) after
	// roughly this long (between 0.75 and 1.25 times it), so that a demo shows
	// a reconnect. It applies whether or not TradeInterval is set.
	DropEvery time.Duration
	// RequireSession, when not empty, is the session cookie the upgrade must
	// carry: connection_init is otherwise answered with close 4403.
	RequireSession string
	// Heartbeat > 0: every connection also sends a pong that answers no ping
	// at this interval, a one-way heartbeat the protocol allows. A client
	// that counts pongs to match them to its pings is misled by it.
	Heartbeat time.Duration
	// InitTimeout is how long a connection may go without connection_init
	// before it is closed with 4408. Default 3 s.
	InitTimeout time.Duration
	// Seed seeds the trade generator, the market's ticks and the
	// per-connection jitter.
	Seed uint64
	// Log receives the server's logs; nil discards them.
	Log *slog.Logger
	// TakeTurns: each Publish writes to the connections starting with the
	// next one in turn, not always the first: the one written to first reads
	// the trades a write earlier, so clients compared side by side take
	// that lead in turn. Default: in order of connection.
	TakeTurns bool
}

// writeTimeout bounds one write to a client: a client that reads nothing for
// this long is cut off, like a real server would.
const writeTimeout = 10 * time.Second

// Server is the fake feed. Build it with New, Start or StartAt.
type Server struct {
	opts Options
	log  *slog.Logger

	genMu sync.Mutex
	gen   *Generator

	// handlers counts the ServeHTTP calls in progress; Close waits for them.
	handlers sync.WaitGroup
	// market is the goroutine of the automatic trades (TradeInterval),
	// started with the first connection; Close stops it (marketStop) and
	// waits for it.
	market     sync.WaitGroup
	marketStop chan struct{}

	mu       sync.Mutex // guards what follows
	closed   bool
	conns    []*conn    // open connections, in order of connection
	sessions []*Session // every accepted connection's, in order
	changed  chan struct{}
	refusal  refusal
	refused  int
	withhold bool
	nconns   uint64

	// unsubscribes counts the complete messages that ended a subscription.
	unsubscribes atomic.Int64
	// deafToClose: see IgnoreCloseAfterUnsubscribe.
	deafToClose atomic.Bool
	// turn counts the Publish calls (Options.TakeTurns).
	turn atomic.Uint64

	// Set by StartAt before it returns.
	http      *http.Server
	url       string
	serveDone chan struct{}
}

// New returns a Server with opts, defaults filled in. It starts nothing: serve
// it with an http.Server (or httptest) or use Start. Close it when done.
func New(opts Options) *Server {
	if opts.BatchMax < 1 {
		opts.BatchMax = 1
	}
	if opts.InitTimeout <= 0 {
		opts.InitTimeout = 3 * time.Second
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		opts:    opts,
		log:     log,
		gen:     NewGenerator(opts.Seed),
		changed: make(chan struct{}),
	}
}

// Start is StartAt("127.0.0.1:0", opts): a server on a free local port.
func Start(opts Options) (*Server, error) {
	return StartAt("127.0.0.1:0", opts)
}

// StartAt listens on addr and serves the feed on every path (URL names /ws,
// the real feed's path) in a goroutine of its own. It returns once the
// listener is open; Close stops it.
func StartAt(addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s := New(opts)
	s.url = "ws://" + ln.Addr().String() + "/ws"
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.serveDone = make(chan struct{})
	go func() {
		defer close(s.serveDone)
		if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	s.log.Info("fake feed listening", "url", s.url)
	return s, nil
}

// URL returns the WebSocket URL to dial, "ws://127.0.0.1:PORT/ws"; "" for a
// server that New built and nothing started.
func (s *Server) URL() string {
	return s.url
}

// Close closes the listener (if Start opened one) and every connection,
// abruptly, and returns once every goroutine the server started and every
// ServeHTTP call has returned. Later upgrade requests get 503. Calling it
// again does nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := append([]*conn(nil), s.conns...)
	if s.marketStop != nil {
		close(s.marketStop)
	}
	s.mu.Unlock()
	s.market.Wait()

	var err error
	if s.http != nil {
		err = s.http.Close()
	}
	for _, c := range conns {
		_ = c.ws.CloseNow()
	}
	s.handlers.Wait()
	if s.serveDone != nil {
		<-s.serveDone
	}
	return err
}

// ServeHTTP upgrades r to a feed connection and serves it until it ends. It
// refuses the request instead when RefuseNext says so, and answers 503 once
// the server is closed. An accepted connection is recorded as a Session.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "fakeroll: server closed", http.StatusServiceUnavailable)
		return
	}
	defer s.handlers.Done()

	if ref, ok := s.takeRefusal(); ok {
		for k, v := range ref.header {
			w.Header()[k] = v
		}
		s.log.Info("upgrade refused", "status", ref.status)
		http.Error(w, http.StatusText(ref.status), ref.status)
		return
	}

	gate := &hijackGate{ResponseWriter: w}
	ws, err := websocket.Accept(gate, r, &websocket.AcceptOptions{
		Subprotocols: []string{gqlws.Subprotocol},
		// The real clients send Origin: https://www.csgoroll.com.
		InsecureSkipVerify: true,
	})
	if err != nil {
		// Accept has answered the request.
		s.log.Info("upgrade failed", "err", err)
		return
	}
	ws.SetReadLimit(1 << 20)

	c := s.register(ws, gate.conn, r)
	if c == nil {
		_ = ws.CloseNow()
		return
	}
	c.run(context.WithoutCancel(r.Context()))
}

// enter counts a ServeHTTP call in, unless the server is closed.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.handlers.Add(1)
	return true
}

// register records an accepted connection and returns it, or nil when the
// server closed in the meantime.
func (s *Server) register(ws *websocket.Conn, nc *gatedConn, r *http.Request) *conn {
	var cookie string
	if ck, err := r.Cookie("session"); err == nil {
		cookie = ck.Value
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.nconns++
	if s.opts.TradeInterval > 0 && s.marketStop == nil {
		s.marketStop = make(chan struct{})
		s.market.Go(func() { s.runMarket(s.marketStop) })
	}
	sess := &Session{Header: r.Header.Clone(), Subprotocol: ws.Subprotocol(), Path: r.URL.RequestURI()}
	c := &conn{
		s:        s,
		ws:       ws,
		net:      nc,
		sess:     sess,
		log:      s.log.With("conn", s.nconns),
		rng:      rand.New(rand.NewPCG(s.opts.Seed, s.nconns)),
		done:     make(chan struct{}),
		handled:  make(chan struct{}, 1),
		closeReq: make(chan closeRequest, 1),
		market:   make(chan *batch, marketBacklog),
		cookie:   cookie,
	}
	s.conns = append(s.conns, c)
	s.sessions = append(s.sessions, sess)
	s.notifyLocked()
	return c
}

// ended records that c ended, the client's close status clientCode, and
// removes c from the open connections.
func (s *Server) ended(c *conn, clientCode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.sess.Closed = true
	c.sess.ClientCloseCode = clientCode
	s.notifyLocked()
	for i, o := range s.conns {
		if o == c {
			s.conns = append(s.conns[:i], s.conns[i+1:]...)
			break
		}
	}
}

// Unsubscribes returns how many subscriptions clients have ended with a
// complete message. It is cheap enough to call after every Publish: a trade
// whose Publish returned before the count rose was written before the server
// read the unsubscribe, and so before its answer to any later ping.
func (s *Server) Unsubscribes() int { return int(s.unsubscribes.Load()) }

// openConns returns the open connections, in order of connection.
func (s *Server) openConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*conn(nil), s.conns...)
}

// newTrades returns n trades from the server's generator.
func (s *Server) newTrades(n int) []Trade {
	s.genMu.Lock()
	defer s.genMu.Unlock()
	out := make([]Trade, n)
	now := time.Now()
	for i := range out {
		out[i] = s.gen.Next(now)
	}
	return out
}
