package sampleapp

import (
	"net"
	"syscall"
	"unsafe"
)

// peekSocket asks the kernel, without blocking and without consuming
// anything, whether c has bytes waiting or has reached the end of its stream:
// recv(fd, 1 byte, MSG_PEEK|MSG_DONTWAIT). EAGAIN means idle; 0 bytes means
// the peer closed; an error (ECONNRESET, ETIMEDOUT, EHOSTUNREACH) means the
// connection is broken.
func peekSocket(c net.Conn) connState {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return connUnknown
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return connClosed
	}
	state := connUnknown
	var buf [1]byte
	cerr := rc.Control(func(fd uintptr) {
		n, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&buf[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		switch {
		case errno == syscall.EAGAIN:
			state = connIdle
		case errno == syscall.EINTR:
			state = connUnknown
		case errno != 0:
			state = connClosed
		case n == 0:
			state = connClosed
		default:
			state = connUnknown
		}
	})
	if cerr != nil { // the socket is closed already
		return connClosed
	}
	return state
}
