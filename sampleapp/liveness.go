package sampleapp

import (
	"context"
	"net"

	"github.com/jackc/pgx/v5"
)

// connState is what a look at a pooled connection's socket, without
// reading or writing, says about it.
type connState int

const (
	// connIdle: nothing to read and no end of stream: as alive as a socket
	// can tell without a round trip.
	connIdle connState = iota
	// connClosed: the server closed the connection (its process died or it
	// was shut down: the kernel sent FIN or RST) or the socket failed.
	connClosed
	// connUnknown: bytes are waiting (an unsolicited message: a notice, a
	// parameter change, or a FATAL error before the server hung up), or this
	// platform cannot peek.
	connUnknown
)

// peekConn looks at c's socket: see peekFD (per platform). A TLS
// connection is looked at through its TCP connection (sslmode).
func peekConn(c net.Conn) connState {
	type netConner interface{ NetConn() net.Conn }
	if tc, ok := c.(netConner); ok {
		c = tc.NetConn()
	}
	return peekSocket(c)
}

// prepareConn is the pool's PrepareConn hook: the check every connection
// passes before a request gets it, in place of a ping per checkout (one
// round trip, a goroutine and two contexts per request before). A
// connection whose server has gone away — a killed or fenced primary — is
// destroyed here, so the INSERT goes to a fresh connection (or fails
// definitely, as "failed", when none can be made) instead of being sent
// into a dead socket and ending "indeterminate". That costs one
// non-blocking recv(MSG_PEEK) per request. A socket with bytes waiting is
// pinged, which reads them (a FATAL closes it). What a peek cannot see, a
// silent black hole (a partition that sends no FIN), a ping would only have
// turned into a failure after PingTimeout; pgxpool still pings connections
// idle for over a second (its default ShouldPing), the ones most likely to
// have gone stale unseen.
func prepareConn(ctx context.Context, c *pgx.Conn) (bool, error) {
	switch peekConn(c.PgConn().Conn()) {
	case connIdle:
		return true, nil
	case connClosed:
		return false, nil // destroyed; the pool takes another or dials
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return c.Ping(pctx) == nil, nil
}
