// Package hostneeds checks what a build needs on the machine that runs it:
// a program on PATH (or in a few known directories), a recent enough Go
// toolchain, root. It knows nothing of images; package images declares
// what each recipe needs and groups what is missing per image.
package hostneeds
