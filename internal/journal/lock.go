package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockName is the file in a journal's directory that its writer holds a lock
// on for as long as it is open, so that a second writer (a second sniper
// -record on the same directory) is refused rather than interleaving its
// segments with the first's and pruning the first's open segment. Readers
// never take it: a journal can be replayed while it is recorded. The file
// stays after the writer closes: removing it would let two writers lock two
// different files of that name (one removed, one new) at once.
const LockName = "rollsniper.lock"

// ErrLocked is the error NewWriter returns (wrapped, with the directory and
// the holder's process id when known) when another writer has the journal
// open.
var ErrLocked = errors.New("another process is recording into this journal")

// lockDir takes the lock of the journal in dir, writes this process's id into
// the lock file, and returns the file, whose closing releases the lock. The
// lock is the operating system's (released when the process ends, however it
// ends), so a crash never leaves a journal locked.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if !errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("journal: lock %s: %w", path, err)
		}
		holder := ""
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf(" (process %d)", pid)
			}
		}
		return nil, fmt.Errorf("journal: %s: %w%s: stop it, or record into another directory", dir, ErrLocked, holder)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}
