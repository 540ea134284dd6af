package logtest

import (
	"bytes"
	"sync"
)

// Writes is a fake stdout: it keeps every write separately, can fail on
// demand, and can signal each write. It is safe for concurrent use.
type Writes struct {
	mu     sync.Mutex
	writes [][]byte
	err    error
	wrote  chan struct{}
}

// NewWrites returns a Writes whose Wrote channel receives (without ever
// blocking a writer) after each write.
func NewWrites() *Writes { return &Writes{wrote: make(chan struct{}, 1)} }

// Write keeps a copy of p, or returns the error set by Fail.
func (w *Writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.writes = append(w.writes, bytes.Clone(p))
	if w.wrote != nil {
		select {
		case w.wrote <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// Fail makes every later write return err; nil makes writes work again.
func (w *Writes) Fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.err = err
}

// Wrote receives after a write (at most one pending); nil unless the Writes
// came from NewWrites.
func (w *Writes) Wrote() <-chan struct{} { return w.wrote }

// Sizes returns the length of every write, in order.
func (w *Writes) Sizes() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]int, len(w.writes))
	for i, b := range w.writes {
		out[i] = len(b)
	}
	return out
}

// String returns everything written, in order.
func (w *Writes) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(bytes.Join(w.writes, nil))
}
