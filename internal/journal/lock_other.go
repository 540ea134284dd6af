//go:build !unix

package journal

import (
	"errors"
	"os"
)

// errWouldBlock is never returned here.
var errWouldBlock = errors.New("journal: locked")

// lockFile does nothing where flock is missing (Windows): there, two writers
// on one directory are not refused.
func lockFile(*os.File) error { return nil }
