// Package buildlog reads what image builds print: the JSON message streams
// of the Docker daemon (pull, import, build) with the first error they carry,
// the image ids the classic builder names step by step, and a tail of the
// last lines of a tool's output for error messages, every line also logged.
// It is apart from package images because it knows nothing of recipes.
package buildlog
