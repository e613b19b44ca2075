// Package rootfs handles the Debian root filesystems that the debootstrap
// recipes of package images build on: which mirror to fetch from (the host's
// apt sources), what of a root filesystem goes into the image and how it is
// written as a tar for Docker's import, and the mounts debootstrap may leave in
// a build directory, which must never be deleted through.
package rootfs
