// Package netpin creates the run's Docker networks with a subnet that
// Docker chose and the run then pinned, so that a node cut off a network
// by a fault comes back at the address it had.
//
// Why it matters (docs/architecture.md, "Networks keep their addresses"):
// Docker gives a container it connects again whichever address is free,
// and after a region drop the replica and the app may come back at each
// other's addresses. A connection the replica's WAL receiver held across
// the cut then points at the app, which answers the primary with resets
// the replica never sees: the replica waits out wal_receiver_timeout (60 s
// by default) before it streams again, and the drill charges the
// system under test with a minute that only the harness caused. A real
// network comes back with the addresses it had, and so do ours. Docker
// takes a requested address only on a network whose subnet was given at
// creation, hence the pinning.
package netpin
