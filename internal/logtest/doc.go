// Package logtest is for tests: it records slog records so that a test can
// assert on what was logged and wait for a record to appear, instead of
// sleeping, and it fakes a stdout that keeps every write (Writes). It starts
// no goroutine.
package logtest
