// Package nfqueue delays real packets without the kernel's netem qdisc:
// an iptables rule hands the packets a node sends to an NFQUEUE queue, and
// a Delayer bound to that queue gives each one back to the kernel (an
// NF_ACCEPT verdict) once its delay is up (docs/architecture.md, "Latency
// without netem").
//
// It speaks the nfnetlink_queue protocol (linux/netfilter/nfnetlink_queue.h)
// over github.com/mdlayher/netlink: bind a queue (NFQNL_MSG_CONFIG with
// NFQNL_CFG_CMD_BIND), ask for packet metadata only (NFQNL_COPY_META: the
// delayer never reads a payload), raise the queue's length, read
// NFQNL_MSG_PACKET messages (NFQA_PACKET_HDR carries the packet id) and
// answer NFQNL_MSG_VERDICT, or NFQNL_MSG_VERDICT_BATCH for every packet up
// to an id. The encoding and decoding are plain functions with unit tests;
// Conn is the socket; Delayer is the loop, written against the small Queue
// interface so that it runs in tests without a kernel.
//
// It runs in firedrill's agent sidecar, in the target's network namespace
// (`firedrill agent delay`); package chaos drives it.
package nfqueue
