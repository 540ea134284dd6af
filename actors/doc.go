// Package actors holds rollsniper's pipeline stages, each a goroutine with a
// blocking Run(ctx) error, joined by bounded channels:
//
//   - Conn (conn.go, session.go, reader.go): keeps one session with the feed
//     open at a time and hands every frame to the parser; the only actor that
//     restarts (its sessions, with backoff, inside its own Run);
//   - Lines (lines.go): runs a feed's connections side by side, each a Conn
//     of its own, all into one frame queue in the order they read;
//   - Parser (parser.go): turns frames into trades with feedjson.ParseFrame,
//     and with several lines keeps the first copy of each trade;
//   - Hub (hub.go): fans trades out to one bounded queue per sink;
//   - the sinks (sink.go): Printer, Whitelist (the decision) with its
//     WhitelistReloader, Discord (alerts on the whitelist's matches) and
//     NATSPublisher (natspub.go: every trade and match to JetStream);
//   - Output (output.go): the one writer of stdout (and of stderr), which
//     nothing upstream ever waits on;
//   - NATSSource (natssource.go): stands where Conn and Parser stand, and
//     hands the hub the trades of a JetStream stream (sniper -source).
//   - Recorder (recorder.go): journals every frame the connection reads,
//     through the connection's tap (ConnTap), and Compactor (compactor.go),
//     which compresses the journal's closed segments while the feed is quiet;
//   - Replay (replay.go): stands where the connection stands and hands the
//     parser a journal's frames, as recorded.
//
// This package owns goroutines and channels and nothing else: the frame format
// (internal/feedjson), the protocol's rules (internal/gqlws), the schedule
// (internal/backoff), the whitelist (internal/whitelist), the Discord request
// (internal/discord), the journal (internal/journal), the printed records
// (internal/record), their buffer (internal/output) and the half-open rule
// (internal/liveness) live in plain packages that start no goroutine. An
// actor file holds its config, its Run loop and its stats.
//
// Every Run returns only when its work has stopped; constructors never start
// goroutines. Each stage owns and closes its output channel. Everything
// downstream of the connection keeps running, and counting, across reconnects.
package actors
