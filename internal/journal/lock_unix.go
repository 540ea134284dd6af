//go:build unix

package journal

import (
	"os"
	"syscall"
)

// errWouldBlock is what lockFile returns when another process holds the lock.
var errWouldBlock = syscall.EWOULDBLOCK

// lockFile takes an exclusive lock on f without waiting (flock: held by the
// open file, released when it is closed or the process ends).
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}
