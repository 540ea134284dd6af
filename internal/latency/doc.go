// Package latency is the lock-free histogram the pipeline's latencies are
// counted in (the hub's frame-to-sink time, among others), in fixed buckets
// from 1 µs to 1 s, shaped for a Prometheus histogram. Observe neither
// allocates nor blocks, so it can sit on the hot path; the package starts no
// goroutine.
package latency
