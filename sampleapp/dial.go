package sampleapp

import (
	"net"
	"syscall"
	"time"
)

// How the app's connections to Postgres behave when a server goes silent:
// a partition drops packets without a FIN or an RST, so nothing tells a
// socket that its peer is gone (docs/architecture.md, "The failover
// manager"). Without bounds of its own, the app would wait out the whole
// connect_timeout on a host it cannot reach before pgx tries the next one,
// and keep pooled connections to it that only a write finds dead.
const (
	// dialTimeout bounds the TCP handshake with one host. On the run's
	// networks a live server answers a SYN in well under a millisecond;
	// one behind a partition never does, and pgx moves on to the next
	// host of the multi-host DSN only when the dial gives up.
	// connect_timeout (2s) still bounds the rest: authentication and the
	// read-write check of target_session_attrs.
	dialTimeout = 500 * time.Millisecond
	// tcpUserTimeout breaks a connection whose sent data stays
	// unacknowledged this long (TCP_USER_TIMEOUT, Linux): a statement
	// sent to a server behind a partition fails within the probe's
	// timeout, and the connection with it, whatever deadline the caller
	// has.
	tcpUserTimeout = time.Second
	// Keepalive probes on idle pooled connections (Linux counts them in
	// whole seconds): one to a server that went silent is broken by the
	// kernel within about keepAliveIdle + tcpUserTimeout (once a probe
	// goes unanswered, the user timeout decides), and prepareConn's peek
	// then finds it dead for free, instead of a write finding it by
	// hanging.
	keepAliveIdle     = time.Second
	keepAliveInterval = time.Second
	keepAliveCount    = 2
)

// newDialer is the dialer of every connection to Postgres.
func newDialer() *net.Dialer {
	return &net.Dialer{
		Timeout: dialTimeout,
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval,
			Count: keepAliveCount},
		Control: func(network, _ string, c syscall.RawConn) error {
			if network != "tcp" && network != "tcp4" && network != "tcp6" {
				return nil
			}
			var serr error
			if err := c.Control(func(fd uintptr) { serr = setUserTimeout(fd, tcpUserTimeout) }); err != nil {
				return err
			}
			return serr
		},
	}
}
