package images

import "syscall"

// toolProcAttr puts a build tool (debootstrap, go install) in a process group
// of its own, killed as a whole when the build is cancelled, and has the
// kernel kill it when firedrill itself dies: a SIGKILLed harness must not
// leave a compile or a dpkg running.
func toolProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
