//go:build !linux

package images

import "errors"

// imgUnmount: only linux builds root filesystems (debootstrap), so nothing else
// mounts under the build directories.
func imgUnmount(path string) error {
	return errors.New("unmount " + path + ": not supported on this system")
}
