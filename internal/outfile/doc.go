// Package outfile writes the files firedrill leaves for people and
// pipelines (results, ledgers, credentials). They may hold what a person
// must not see, or what CI parses, and their directory may be shared or
// reused: a file is never written through a symlink someone planted, never
// into a FIFO, and always gets its mode, also when it existed before with
// another one.
package outfile
