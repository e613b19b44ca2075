package sampleapp

import (
	"context"
	"net"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Every connection to Postgres is dialled with the bounds that let the
// app leave a silent server: the user timeout and keepalives are on the
// socket itself.
func TestDialerSetsSilentServerBounds(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			_, _ = c.Read(make([]byte, 1))
		}
	}()
	c, err := newDialer().DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string][2]int{
		"TCP_USER_TIMEOUT": {unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT},
		"SO_KEEPALIVE":     {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
		"TCP_KEEPIDLE":     {unix.IPPROTO_TCP, unix.TCP_KEEPIDLE},
		"TCP_KEEPINTVL":    {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
		"TCP_KEEPCNT":      {unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
	}
	want := map[string]int{"TCP_USER_TIMEOUT": int(tcpUserTimeout.Milliseconds()), "SO_KEEPALIVE": 1,
		"TCP_KEEPIDLE": int(keepAliveIdle.Seconds()), "TCP_KEEPINTVL": int(keepAliveInterval.Seconds()), "TCP_KEEPCNT": keepAliveCount}
	for name, o := range opts {
		var got int
		var gerr error
		if err := raw.Control(func(fd uintptr) { got, gerr = unix.GetsockoptInt(int(fd), o[0], o[1]) }); err != nil || gerr != nil {
			t.Fatalf("%s: %v %v", name, err, gerr)
		}
		if got != want[name] {
			t.Errorf("%s = %d, want %d", name, got, want[name])
		}
	}
}

// The pool's connections use that dialer.
func TestPoolConfigDialsWithTheBounds(t *testing.T) {
	cfg, err := poolConfig("postgres://u:p@pg-primary:5432,pg-replica1:5432/d?target_session_attrs=read-write&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnConfig.DialFunc == nil {
		t.Fatal("no dial function")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := cfg.ConnConfig.DialFunc(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, _ := c.(syscall.Conn).SyscallConn()
	var got int
	_ = raw.Control(func(fd uintptr) { got, _ = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT) })
	if got != int(tcpUserTimeout.Milliseconds()) {
		t.Errorf("the pool's dial set TCP_USER_TIMEOUT %d, want %d", got, tcpUserTimeout.Milliseconds())
	}
}
