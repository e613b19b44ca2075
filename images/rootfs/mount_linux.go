package rootfs

import "syscall"

// unmount detaches a mount point (lazily: a busy mount goes away once unused).
func unmount(path string) error {
	return syscall.Unmount(path, syscall.MNT_DETACH)
}
