// Package backoff is the reconnect schedule the user asked for: 1 s, 2 s,
// 4 s … capped at 60 s, with optional full jitter, started again after a
// session that received a trade. A Schedule is a plain value: it does not
// wait, it only says how long to. The connection actor and the Discord sink
// each own one.
package backoff
