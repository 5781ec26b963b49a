package yggmail

import (
	"os"
	"path/filepath"
	"strconv"
)

// openedElsewhere reports a process other than this one that has path
// open, by the descriptors listed under /proc. It sees the processes this
// user may inspect, which include a Yggmail the user runs; any error
// reads as "no".
func openedElsewhere(path string) (pid int, ok bool) {
	target, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	self := os.Getpid()
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == self {
			continue
		}
		if holds(filepath.Join("/proc", p.Name(), "fd"), target) {
			return pid, true
		}
	}
	return 0, false
}

// holds reports whether one of the descriptors in fdDir is the file target.
func holds(fdDir string, target os.FileInfo) bool {
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if fi, err := os.Stat(filepath.Join(fdDir, fd.Name())); err == nil && os.SameFile(fi, target) {
			return true
		}
	}
	return false
}
