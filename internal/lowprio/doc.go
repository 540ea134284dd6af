// Package lowprio lowers the scheduling priority of the calling OS thread, so
// that background work (compacting the journal) yields the CPU to the feed.
// It starts no goroutine; the caller locks its goroutine to the thread first
// (runtime.LockOSThread) and keeps it locked, so that the lowered priority
// goes with that goroutine only and the thread ends with it.
package lowprio
