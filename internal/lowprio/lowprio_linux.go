package lowprio

import "syscall"

// Lowest is the nice value Lower sets: the lowest priority.
const Lowest = 19

// Lower sets the calling thread's nice value to Lowest. On Linux a thread's
// priority is its own (setpriority on its thread id); other threads of the
// process keep theirs.
func Lower() error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), Lowest)
}

// Current returns the calling thread's nice value.
func Current() (int, error) {
	// The raw getpriority system call returns 20 − nice, so that it is
	// never negative.
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	return 20 - p, err
}
