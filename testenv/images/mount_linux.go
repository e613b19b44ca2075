package images

import "syscall"

// imgUnmount detaches a mount point (lazily: a busy mount goes away once unused).
func imgUnmount(path string) error {
	return syscall.Unmount(path, syscall.MNT_DETACH)
}
