package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// version and revision are stamped by release builds (GoReleaser, the
// Dockerfile) with -ldflags "-X main.version=v1.2.3 -X main.revision=SHA".
// Left empty, they come from the build information the Go toolchain records.
var (
	version  string
	revision string
)

// errShowVersion is what parseConfig returns for -version: print the version
// and stop, with exit status 0.
var errShowVersion = errors.New("-version")

// versionOr prints the version to stdout and returns nil when err is
// errShowVersion, and returns err otherwise.
func versionOr(err error, stdout io.Writer) error {
	if !errors.Is(err, errShowVersion) {
		return err
	}
	_, err = fmt.Fprintln(stdout, currentVersion())
	return err
}

// buildVersion is what -version, the starting line and rollsniper_build_info
// say about this binary.
type buildVersion struct {
	Version   string // v1.2.3, a pseudo-version, or "devel"
	Revision  string // the VCS commit, "" when unknown
	Modified  bool   // built from a working tree with uncommitted changes
	GoVersion string // the toolchain that built it, e.g. go1.26.8
}

// currentVersion reads the version of the running binary.
func currentVersion() buildVersion {
	info, _ := debug.ReadBuildInfo()
	return versionOf(info, version, revision)
}

// versionOf works out the version from the toolchain's build information (nil
// when there is none) and the values stamped by -ldflags, which win. Without
// either, the version is the module's: v1.2.3 for go install …@v1.2.3, a
// pseudo-version for a build from a git checkout, "(devel)" otherwise, shown as
// "devel".
func versionOf(info *debug.BuildInfo, stampedVersion, stampedRevision string) buildVersion {
	v := buildVersion{Version: "devel", GoVersion: runtime.Version()}
	if info != nil {
		v.GoVersion = info.GoVersion
		if m := info.Main.Version; m != "" && m != "(devel)" {
			v.Version = m
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if stampedVersion != "" {
		v.Version = stampedVersion
	}
	if stampedRevision != "" {
		v.Revision, v.Modified = stampedRevision, false
	}
	return v
}

// String is the line -version prints:
// "sniper v1.2.3 (revision 0123abcd…, go1.26.8, linux/amd64)".
func (v buildVersion) String() string {
	parts := []string{v.GoVersion, runtime.GOOS + "/" + runtime.GOARCH}
	if v.Revision != "" {
		rev := "revision " + v.Revision
		if v.Modified {
			rev += " with uncommitted changes"
		}
		parts = append([]string{rev}, parts...)
	}
	return fmt.Sprintf("sniper %s (%s)", v.Version, strings.Join(parts, ", "))
}

// revisionLabel is the revision as rollsniper_build_info shows it: "unknown"
// when there is none, a "-dirty" suffix for uncommitted changes.
func (v buildVersion) revisionLabel() string {
	switch {
	case v.Revision == "":
		return "unknown"
	case v.Modified:
		return v.Revision + "-dirty"
	}
	return v.Revision
}

// buildInfoMetric is rollsniper_build_info: always 1, its labels saying which
// build is running, so a dashboard can show it and join it to other series.
func buildInfoMetric(v buildVersion) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "rollsniper_build_info",
		Help: "Always 1; the labels name the running build: its version, VCS revision and Go version.",
		ConstLabels: prometheus.Labels{
			"version":   v.Version,
			"revision":  v.revisionLabel(),
			"goversion": v.GoVersion,
		},
	})
	g.Set(1)
	return g
}
