//go:build !linux

package images

import "syscall"

// toolProcAttr puts a build tool in a process group of its own, killed as a
// whole when the build is cancelled (no parent-death signal outside linux).
func toolProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
