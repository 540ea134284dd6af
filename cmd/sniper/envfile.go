package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rollsniper/rollsniper/internal/spell"
)

// envFileVar is the environment variable that names the settings file, as
// -env-file does. It is read from the environment only: a settings file cannot
// name another.
const envFileVar = "ROLL_ENV_FILE"

// loadDotenv reads the settings file: the one named (relative to dir unless
// absolute), which must exist, or else .env in dir, which may be missing. It
// returns the path it read or looked for, and the file's NAME=value pairs.
func loadDotenv(dir, named string) (string, map[string]string, error) {
	if named == "" {
		path := filepath.Join(dir, ".env")
		vars, err := readDotenv(path)
		return path, vars, err
	}
	path := named
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if _, err := os.Stat(path); err != nil {
		why := err
		if errors.Is(err, fs.ErrNotExist) {
			why = errors.New("no such file")
		}
		return path, nil, fmt.Errorf("-env-file (%s) %q: %v: name an existing file of NAME=value lines, or leave it unset to read .env from the current directory", envFileVar, named, why)
	}
	vars, err := readDotenv(path)
	return path, vars, err
}

// settingWarnings returns a warning for each ROLL_ name in the settings file
// cfg was read from (in dir) and in environ (NAME=value pairs, as
// os.Environ gives them) that is not a setting: a misspelt name is otherwise
// silently ignored, and the setting it meant is left at its default. Each
// warning names the closest real setting when there is a likely one. The file
// has already been read once by parseConfig; one it can no longer read gives no
// warnings.
func settingWarnings(cfg Config, dir string, environ []string) []string {
	known := []string{envFileVar}
	for _, s := range settings(new(Config)) {
		known = append(known, s.env)
	}
	var warnings []string
	check := func(name, where string) {
		if !strings.HasPrefix(name, "ROLL_") || slices.Contains(known, name) {
			return
		}
		w := fmt.Sprintf("unknown setting %s in %s", name, where)
		if s := closestName(name, known); s != "" {
			w += ": did you mean " + s + "?"
		} else {
			w += ": sniper -h lists the settings"
		}
		warnings = append(warnings, w)
	}
	if path, vars, err := loadDotenv(dir, cfg.EnvFile); err == nil {
		where := path
		if cfg.EnvFile == "" {
			where = ".env"
		}
		for _, name := range slices.Sorted(maps.Keys(vars)) {
			check(name, where)
		}
	}
	names := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		check(name, "the environment")
	}
	return warnings
}

// closestName returns the name in known that name is most likely a misspelling
// of, or "" when none is close: at most a third of the name's letters (past
// the shared ROLL_) added, dropped or changed; failing that, the one known
// name that holds the given one whole (ROLL_TOKEN for ROLL_API_TOKEN).
func closestName(name string, known []string) string {
	name = strings.ToUpper(name)
	word := strings.TrimPrefix(name, "ROLL_")
	best, bestDist := "", len(word)/3+1
	for _, k := range known {
		if d := spell.Distance(name, k, bestDist); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" || len(word) < 3 {
		return best
	}
	for _, k := range known {
		if strings.Contains(strings.TrimPrefix(k, "ROLL_"), word) {
			if best != "" {
				return "" // more than one: no guess
			}
			best = k
		}
	}
	return best
}
