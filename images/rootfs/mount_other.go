//go:build !linux

package rootfs

import "errors"

// unmount: only linux builds root filesystems (debootstrap), so nothing else
// mounts under the build directories.
func unmount(path string) error {
	return errors.New("unmount " + path + ": not supported on this system")
}
