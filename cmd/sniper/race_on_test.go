//go:build race

package main

// raceDetector is whether the tests run under the race detector, which slows
// writing and reading a day of the fake feed about tenfold.
const raceDetector = true
