//go:build race

package actors

// raceDetector is whether the tests run under the race detector, which slows
// the burst tests about tenfold: they shrink their bursts to stay fast.
const raceDetector = true
