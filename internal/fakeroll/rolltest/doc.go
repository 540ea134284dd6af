// Package rolltest starts the fake feed for tests of other packages, and
// checks when the test ends that every goroutine the server started has
// ended. It starts no goroutine of its own.
package rolltest
