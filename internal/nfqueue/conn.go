package nfqueue

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Conn is a netlink socket bound to one NFQUEUE queue of the network
// namespace it was opened in.
type Conn struct {
	nl    *netlink.Conn
	queue uint16
	// procPath is the kernel's table of this namespace's queues
	// (/proc/net/netfilter/nfnetlink_queue), for Stats.
	procPath string
}

var _ Queue = (*Conn)(nil)

// DefaultMaxLen is how many packets may wait in a queue at once by
// default: netem's default limit is 1,000 packets; a delayed WAN link at
// thousands of packets per second holds more than that, so both mechanisms
// use this limit (docs/architecture.md, "Latency without netem").
const DefaultMaxLen = 10000

// recvBuffer is the socket's receive buffer: one NFQNL_MSG_PACKET takes
// about a kilobyte of it, and a burst the loop has not read yet must fit,
// or the kernel drops the packets (counted as user_dropped).
const recvBuffer = 8 << 20

// messageBuffer holds one NFQNL_MSG_PACKET without payload, with room to
// spare (its attributes are a few hundred bytes).
const messageBuffer = 8 << 10

// Open binds queue in the current network namespace and configures it:
// metadata only, at most maxLen packets waiting (DefaultMaxLen when 0).
// It needs CAP_NET_ADMIN; EBUSY means another socket holds the queue.
func Open(queue uint16, maxLen uint32) (*Conn, error) {
	if maxLen == 0 {
		maxLen = DefaultMaxLen
	}
	// A fixed receive buffer: a packet's message (metadata only) is a few
	// hundred bytes, and without one every read would first peek at the
	// message's size, two system calls a packet.
	nl, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{MessageBufferSize: messageBuffer})
	if err != nil {
		return nil, fmt.Errorf("nfqueue: open a netfilter netlink socket: %w", err)
	}
	c := &Conn{nl: nl, queue: queue, procPath: procQueues}
	if err := c.setReceiveBuffer(recvBuffer); err != nil {
		nl.Close()
		return nil, err
	}
	// A full socket buffer is reported as ENOBUFS on the next read; the
	// loop counts it and carries on.
	for _, step := range []struct {
		what string
		msg  func() (netlink.Message, error)
	}{
		{"bind queue", func() (netlink.Message, error) { return bindMessage(queue) }},
		{"configure queue", func() (netlink.Message, error) { return paramsMessage(queue, maxLen) }},
	} {
		m, err := step.msg()
		if err == nil {
			_, err = nl.Execute(m)
		}
		if err != nil {
			nl.Close()
			return nil, fmt.Errorf("nfqueue: %s %d: %w", step.what, queue, err)
		}
	}
	return c, nil
}

// setReceiveBuffer raises the socket's receive buffer past the
// namespace's rmem_max with SO_RCVBUFFORCE (CAP_NET_ADMIN), or as far as
// SO_RCVBUF allows without it.
func (c *Conn) setReceiveBuffer(n int) error {
	raw, err := c.nl.SyscallConn()
	if err == nil {
		var serr error
		if cerr := raw.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n)
		}); cerr == nil && serr == nil {
			return nil
		}
	}
	if err := c.nl.SetReadBuffer(n); err != nil {
		return fmt.Errorf("nfqueue: set the receive buffer: %w", err)
	}
	return nil
}

// Receive blocks until the kernel hands over packets and returns them. A
// receive buffer that overflowed (the kernel dropped packets for want of
// room) is ErrOverrun; after Interrupt or Close it returns ErrClosed.
func (c *Conn) Receive() ([]Packet, error) {
	msgs, err := c.nl.Receive()
	if err != nil {
		switch {
		case errors.Is(err, unix.ENOBUFS):
			return nil, ErrOverrun
		case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EBADF):
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("nfqueue: receive: %w", err)
	}
	out := make([]Packet, 0, len(msgs))
	for _, m := range msgs {
		p, q, err := parsePacket(m)
		if errors.Is(err, errNotPacket) || (err == nil && q != c.queue) {
			continue // an acknowledgement, or another queue's
		}
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Accept gives one packet back to the kernel: it goes on its way.
func (c *Conn) Accept(id uint32) error {
	m, err := verdictMessage(c.queue, id, verdictAccept)
	if err == nil {
		_, err = c.nl.Send(m)
	}
	if err != nil {
		return fmt.Errorf("nfqueue: accept packet %d: %w", id, err)
	}
	return nil
}

// AcceptUpTo gives back every queued packet whose id is not after id, in
// one message.
func (c *Conn) AcceptUpTo(id uint32) error {
	m, err := batchVerdictMessage(c.queue, id, verdictAccept)
	if err == nil {
		_, err = c.nl.Send(m)
	}
	if err != nil {
		return fmt.Errorf("nfqueue: accept packets up to %d: %w", id, err)
	}
	return nil
}

// Stats reads the queue's line of the kernel's table.
func (c *Conn) Stats() (Stats, error) { return readStats(c.procPath, c.queue) }

// Interrupt makes a blocked Receive return ErrClosed, and every later one.
func (c *Conn) Interrupt() error {
	if err := c.nl.SetReadDeadline(time.Unix(1, 0)); err != nil {
		return fmt.Errorf("nfqueue: interrupt receive: %w", err)
	}
	return nil
}

// Close unbinds the queue and closes the socket. The kernel drops the
// packets still queued: accept them first (AcceptUpTo).
func (c *Conn) Close() error {
	var uerr error
	if m, err := unbindMessage(c.queue); err != nil {
		uerr = err
	} else if _, err := c.nl.Send(m); err != nil {
		uerr = fmt.Errorf("nfqueue: unbind queue %d: %w", c.queue, err)
	}
	return errors.Join(uerr, c.nl.Close())
}
