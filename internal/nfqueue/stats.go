package nfqueue

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// procQueues is the kernel's table of the queues bound in the reading
// process's network namespace.
const procQueues = "/proc/net/netfilter/nfnetlink_queue"

// Stats is a queue's line in the kernel's table.
type Stats struct {
	Queue uint16
	// Waiting is how many packets wait for a verdict now (queue_total).
	Waiting uint32
	// QueueDropped counts the packets dropped because the queue was full
	// (its maxlen reached); UserDropped those dropped because the socket's
	// receive buffer was.
	QueueDropped, UserDropped uint32
	// IDSequence is the id of the last packet queued.
	IDSequence uint32
}

// Dropped is every packet the kernel dropped instead of queueing it.
func (s Stats) Dropped() uint64 { return uint64(s.QueueDropped) + uint64(s.UserDropped) }

// errNoQueue is returned when the table has no line for the queue.
var errNoQueue = errors.New("queue not in the kernel's table")

func readStats(path string, queue uint16) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, fmt.Errorf("nfqueue: read queue statistics: %w", err)
	}
	defer f.Close()
	return parseStats(f, queue)
}

// parseStats finds queue's line in the table the kernel prints
// (net/netfilter/nfnetlink_queue.c, seq_show): queue_number peer_portid
// queue_total copy_mode copy_range queue_dropped queue_user_dropped
// id_sequence 1.
func parseStats(r io.Reader, queue uint16) (Stats, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 {
			continue
		}
		var v [8]uint64
		ok := true
		for i := range v {
			n, err := strconv.ParseUint(f[i], 10, 32)
			if err != nil {
				ok = false
				break
			}
			v[i] = n
		}
		if !ok || v[0] != uint64(queue) {
			continue
		}
		return Stats{Queue: queue, Waiting: uint32(v[2]), QueueDropped: uint32(v[5]), UserDropped: uint32(v[6]), IDSequence: uint32(v[7])}, nil
	}
	if err := sc.Err(); err != nil {
		return Stats{}, fmt.Errorf("nfqueue: read queue statistics: %w", err)
	}
	return Stats{}, fmt.Errorf("nfqueue: queue %d: %w", queue, errNoQueue)
}
