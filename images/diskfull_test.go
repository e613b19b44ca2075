package images

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/firedrill/firedrill/images/internal/buildlog"
)

func TestImagesDiskFull(t *testing.T) {
	tail := buildlog.NewTail(30, nil)
	for i := range 25 {
		fmt.Fprintf(tail, "Unpacking package-%d ...\n", i)
	}
	fmt.Fprintln(tail, "dpkg: error processing archive /var/cache/apt/archives/postgresql-15.deb (--unpack):")
	fmt.Fprintln(tail, " cannot copy extracted data for './usr/lib/postgresql/15/bin/postgres' to '/usr/lib/postgresql/15/bin/postgres.dpkg-new': failed to write (No space left on device)")
	debootstrap := &imgToolError{"debootstrap", buildlog.WithTail(errors.New("debootstrap: exit status 1"), tail)}

	cases := []struct {
		name      string
		err       error
		docker    bool
		step      string
		wantNil   bool
		mentioned []string
	}{
		{name: "daemon import", err: imgDaemon(errors.New("import root filesystem: failed to register layer: Error processing tar file(exit status 1): write /usr/lib/x86_64-linux-gnu/libLLVM-14.so.1: no space left on device")),
			docker: true, mentioned: []string{"Docker's disk is full", "docker system df", "firedrill images prune"}},
		{name: "daemon build", err: fmt.Errorf("wrapped: %w", imgDaemon(errors.New("docker build: failed to copy files: copy file range failed: no space left on device"))),
			docker: true, mentioned: []string{"docker system df"}},
		{name: "debootstrap", err: debootstrap, step: "debootstrap", mentioned: []string{"during debootstrap", "df -h /cache"}},
		{name: "go install", err: &imgToolError{"go install", fmt.Errorf("go install: %w", &fsErr{syscall.ENOSPC})}, step: "go install", mentioned: []string{"GOCACHE"}},
		{name: "other", err: imgDaemon(errors.New("docker build: connection refused")), wantNil: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := imgDiskFull(RolePostgres, c.err, "/cache")
			if c.wantNil {
				if got != nil {
					t.Fatalf("classified as disk full: %v", got)
				}
				return
			}
			var full *DiskFullError
			if !errors.As(got, &full) {
				t.Fatalf("not a DiskFullError: %v", got)
			}
			if full.Docker != c.docker || (c.step != "" && full.Step != c.step) {
				t.Fatalf("docker %v step %q", full.Docker, full.Step)
			}
			msg := got.Error()
			if strings.Contains(msg, "\n") || strings.Contains(msg, "Unpacking") {
				t.Fatalf("not one line, or it quotes the output:\n%s", msg)
			}
			for _, m := range append(c.mentioned, "postgres") {
				if !strings.Contains(msg, m) {
					t.Errorf("message lacks %q: %s", m, msg)
				}
			}
			if !errors.Is(got, c.err) {
				t.Error("the full error is not kept (Unwrap)")
			}
		})
	}
}

// fsErr wraps an errno as the os package does.
type fsErr struct{ errno syscall.Errno }

func (e *fsErr) Error() string { return "write /root/.cache/go-build/ab/cd: " + e.errno.Error() }
func (e *fsErr) Unwrap() error { return e.errno }
