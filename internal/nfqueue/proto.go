package nfqueue

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
)

// Protocol numbers of nfnetlink and nfnetlink_queue, from
// linux/netfilter/nfnetlink.h and linux/netfilter/nfnetlink_queue.h.
const (
	// subsysQueue is NFNL_SUBSYS_QUEUE: a message's type is
	// subsys<<8 | message.
	subsysQueue = 3

	msgPacket       = 0 // NFQNL_MSG_PACKET: kernel -> user, a queued packet
	msgVerdict      = 1 // NFQNL_MSG_VERDICT: user -> kernel, one packet
	msgConfig       = 2 // NFQNL_MSG_CONFIG
	msgVerdictBatch = 3 // NFQNL_MSG_VERDICT_BATCH: every packet up to an id

	// Attributes of a packet and of a verdict (enum nfqnl_attr_type).
	attrPacketHdr  = 1 // NFQA_PACKET_HDR: struct nfqnl_msg_packet_hdr
	attrVerdictHdr = 2 // NFQA_VERDICT_HDR: struct nfqnl_msg_verdict_hdr

	// Attributes of a configuration (enum nfqnl_attr_config).
	attrCfgCmd         = 1 // NFQA_CFG_CMD: struct nfqnl_msg_config_cmd
	attrCfgParams      = 2 // NFQA_CFG_PARAMS: struct nfqnl_msg_config_params
	attrCfgQueueMaxLen = 3 // NFQA_CFG_QUEUE_MAXLEN: be32
	attrCfgMask        = 4 // NFQA_CFG_MASK: be32, the flags being set
	attrCfgFlags       = 5 // NFQA_CFG_FLAGS: be32

	// cfgFlagGSO is NFQA_CFG_F_GSO: a GSO packet (up to 64 KiB of one
	// flow, the unit the stack sends) is queued whole rather than cut
	// into segments first, as netem holds it whole too; the delayer reads
	// no payload, so nothing needs the segments.
	cfgFlagGSO = 1 << 2

	// Configuration commands (enum nfqnl_msg_config_cmds).
	cmdBind   = 1 // NFQNL_CFG_CMD_BIND
	cmdUnbind = 2 // NFQNL_CFG_CMD_UNBIND

	// Copy modes (enum nfqnl_config_mode).
	copyMeta = 1 // NFQNL_COPY_META: the packet's metadata, no payload

	// Verdicts (linux/netfilter.h).
	verdictAccept = 1 // NF_ACCEPT

	// familyUnspec is the nfgenmsg family of a queue command: on kernels
	// since 3.8 a queue is bound for every protocol family at once.
	familyUnspec = 0
	// nfnetlinkV0 is NFNETLINK_V0, the nfgenmsg version.
	nfnetlinkV0 = 0
)

// Packet is one queued packet as the kernel hands it over.
type Packet struct {
	// ID is the packet's id in its queue, the handle of its verdict. The
	// kernel numbers a queue's packets from 1 in the order it queued them.
	ID uint32
	// HWProtocol is the packet's link-layer protocol (0x0800 for IPv4).
	HWProtocol uint16
	// Hook is the netfilter hook that queued it (3 is NF_INET_LOCAL_OUT).
	Hook uint8
}

// messageType is the netlink header type of a queue message.
func messageType(msg uint8) netlink.HeaderType {
	return netlink.HeaderType(subsysQueue<<8 | uint16(msg))
}

// nfgenmsg is struct nfgenmsg: family, version, and the queue number (the
// res_id, big-endian) that every queue message starts with.
func nfgenmsg(family uint8, queue uint16) []byte {
	b := []byte{family, nfnetlinkV0, 0, 0}
	binary.BigEndian.PutUint16(b[2:], queue)
	return b
}

// message builds a queue message of type msg for queue with attrs encoded
// big-endian, as nfnetlink wants them.
func message(msg uint8, queue uint16, flags netlink.HeaderFlags, attrs func(*netlink.AttributeEncoder)) (netlink.Message, error) {
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	attrs(ae)
	b, err := ae.Encode()
	if err != nil {
		return netlink.Message{}, fmt.Errorf("encode nfqueue message: %w", err)
	}
	return netlink.Message{
		Header: netlink.Header{Type: messageType(msg), Flags: netlink.Request | flags},
		Data:   append(nfgenmsg(familyUnspec, queue), b...),
	}, nil
}

// configCmd is struct nfqnl_msg_config_cmd: command, padding, protocol
// family (big-endian; 0 binds every family).
func configCmd(cmd uint8) []byte { return []byte{cmd, 0, 0, 0} }

// bindMessage binds this socket to queue; the kernel acknowledges it, or
// refuses (EBUSY: another socket holds the queue; EPERM: no NET_ADMIN).
func bindMessage(queue uint16) (netlink.Message, error) {
	return message(msgConfig, queue, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(attrCfgCmd, configCmd(cmdBind))
	})
}

// unbindMessage releases queue. Packets still queued are dropped by the
// kernel: accept them first.
func unbindMessage(queue uint16) (netlink.Message, error) {
	return message(msgConfig, queue, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(attrCfgCmd, configCmd(cmdUnbind))
	})
}

// paramsMessage asks for the packets' metadata only (no payload is copied
// to user space), GSO packets whole, and lets maxLen packets wait in the
// queue at once; a packet that arrives when the queue is full is dropped
// by the kernel.
func paramsMessage(queue uint16, maxLen uint32) (netlink.Message, error) {
	return message(msgConfig, queue, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
		// struct nfqnl_msg_config_params is packed: be32 copy_range, u8
		// copy_mode.
		params := make([]byte, 5)
		binary.BigEndian.PutUint32(params, 0)
		params[4] = copyMeta
		ae.Bytes(attrCfgParams, params)
		ae.Uint32(attrCfgQueueMaxLen, maxLen)
		// The kernel wants the mask of the flags set beside them.
		ae.Uint32(attrCfgFlags, cfgFlagGSO)
		ae.Uint32(attrCfgMask, cfgFlagGSO)
	})
}

// verdictHdr is struct nfqnl_msg_verdict_hdr: be32 verdict, be32 id.
func verdictHdr(verdict, id uint32) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint32(b, verdict)
	binary.BigEndian.PutUint32(b[4:], id)
	return b
}

// verdictMessage gives packet id of queue its verdict. It asks for no
// acknowledgement: a failed verdict still comes back as an error message.
func verdictMessage(queue uint16, id, verdict uint32) (netlink.Message, error) {
	return message(msgVerdict, queue, 0, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(attrVerdictHdr, verdictHdr(verdict, id))
	})
}

// batchVerdictMessage gives every packet of queue whose id is not after id
// the verdict.
func batchVerdictMessage(queue uint16, id, verdict uint32) (netlink.Message, error) {
	return message(msgVerdictBatch, queue, 0, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(attrVerdictHdr, verdictHdr(verdict, id))
	})
}

// errNotPacket is returned by parsePacket for a message that is not a
// queued packet.
var errNotPacket = errors.New("not an nfqueue packet message")

// parsePacket decodes an NFQNL_MSG_PACKET message: the nfgenmsg header,
// then attributes, of which only NFQA_PACKET_HDR is needed. queue is the
// queue number the message names.
func parsePacket(m netlink.Message) (p Packet, queue uint16, err error) {
	if m.Header.Type != messageType(msgPacket) {
		return Packet{}, 0, fmt.Errorf("%w: type %#x", errNotPacket, uint16(m.Header.Type))
	}
	if len(m.Data) < 4 {
		return Packet{}, 0, fmt.Errorf("nfqueue packet message of %d bytes: shorter than its nfgenmsg header", len(m.Data))
	}
	queue = binary.BigEndian.Uint16(m.Data[2:4])
	ad, err := netlink.NewAttributeDecoder(m.Data[4:])
	if err != nil {
		return Packet{}, queue, fmt.Errorf("decode nfqueue packet: %w", err)
	}
	ad.ByteOrder = binary.BigEndian
	found := false
	for ad.Next() {
		if ad.Type() != attrPacketHdr {
			continue
		}
		ad.Do(func(b []byte) error {
			// struct nfqnl_msg_packet_hdr: be32 packet_id, be16
			// hw_protocol, u8 hook (7 bytes, padded).
			if len(b) < 7 {
				return fmt.Errorf("NFQA_PACKET_HDR of %d bytes, want 7", len(b))
			}
			p = Packet{ID: binary.BigEndian.Uint32(b), HWProtocol: binary.BigEndian.Uint16(b[4:]), Hook: b[6]}
			found = true
			return nil
		})
	}
	if err := ad.Err(); err != nil {
		return Packet{}, queue, fmt.Errorf("decode nfqueue packet: %w", err)
	}
	if !found {
		return Packet{}, queue, errors.New("nfqueue packet message without NFQA_PACKET_HDR")
	}
	return p, queue, nil
}
