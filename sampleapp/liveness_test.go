package sampleapp

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// eventuallyState polls peekConn until it says want: what the peer did
// reaches the socket asynchronously.
func eventuallyState(t *testing.T, c net.Conn, want connState, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := peekConn(c)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: peekConn = %d, want %d", what, got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// wrapped has NetConn like *tls.Conn: peekConn looks through it.
type wrapped struct{ net.Conn }

func (w wrapped) NetConn() net.Conn { return w.Conn }

func TestPeekConn(t *testing.T) {
	if runtime.GOOS != "linux" {
		// Elsewhere every socket is connUnknown and prepareConn pings.
		c, _ := tcpPair(t)
		if got := peekConn(c); got != connUnknown {
			t.Fatalf("peekConn on %s = %d, want connUnknown", runtime.GOOS, got)
		}
		return
	}
	t.Run("idle", func(t *testing.T) {
		c, _ := tcpPair(t)
		if got := peekConn(c); got != connIdle {
			t.Errorf("idle connection: %d, want connIdle", got)
		}
		if got := peekConn(wrapped{c}); got != connIdle {
			t.Errorf("idle connection behind NetConn: %d, want connIdle", got)
		}
	})
	t.Run("bytes waiting are not consumed", func(t *testing.T) {
		c, s := tcpPair(t)
		if _, err := s.Write([]byte("N")); err != nil {
			t.Fatal(err)
		}
		eventuallyState(t, c, connUnknown, "a byte waiting")
		if got := peekConn(c); got != connUnknown {
			t.Errorf("second peek: %d, want connUnknown (the byte is still there)", got)
		}
		buf := make([]byte, 1)
		c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := c.Read(buf); n != 1 || buf[0] != 'N' {
			t.Errorf("read after peeks: %d %q %v, want the byte", n, buf[:n], err)
		}
		if got := peekConn(c); got != connIdle {
			t.Errorf("after reading it: %d, want connIdle", got)
		}
	})
	t.Run("peer closed", func(t *testing.T) {
		c, s := tcpPair(t)
		s.Close() // FIN: what a killed server's kernel sends
		eventuallyState(t, c, connClosed, "FIN from the peer")
		eventuallyState(t, wrapped{c}, connClosed, "FIN behind NetConn")
	})
	t.Run("peer reset", func(t *testing.T) {
		c, s := tcpPair(t)
		s.SetLinger(0) // RST
		s.Close()
		eventuallyState(t, c, connClosed, "RST from the peer")
	})
	t.Run("closed here", func(t *testing.T) {
		c, _ := tcpPair(t)
		c.Close()
		if got := peekConn(c); got != connClosed {
			t.Errorf("closed connection: %d, want connClosed", got)
		}
	})
	t.Run("not a socket", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		if got := peekConn(a); got != connUnknown {
			t.Errorf("net.Pipe: %d, want connUnknown", got)
		}
	})
}
