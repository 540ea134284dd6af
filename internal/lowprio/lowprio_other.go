//go:build !linux

package lowprio

// Lowest is the nice value Lower sets where it can.
const Lowest = 19

// Lower does nothing here: only Linux lets a thread's priority be set apart
// from the process's.
func Lower() error { return nil }

// Current returns 0: the priority is not lowered here.
func Current() (int, error) { return 0, nil }
