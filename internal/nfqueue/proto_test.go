package nfqueue

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/mdlayher/netlink"
)

// attr is a netlink attribute as the kernel lays it out: length and type
// in host byte order, the payload, padding to 4 bytes.
func attr(typ uint16, payload ...byte) []byte {
	b := make([]byte, 4, 4+len(payload)+3)
	binary.NativeEndian.PutUint16(b, uint16(4+len(payload)))
	binary.NativeEndian.PutUint16(b[2:], typ)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// Every message firedrill sends, byte for byte against the layouts of
// linux/netfilter/nfnetlink_queue.h.
func TestMessagesEncoding(t *testing.T) {
	const q = 0x1234
	gen := []byte{0, 0, 0x12, 0x34} // AF_UNSPEC, NFNETLINK_V0, res_id = queue (big-endian)
	for _, tc := range []struct {
		name     string
		build    func() (netlink.Message, error)
		typ      uint16
		flags    netlink.HeaderFlags
		wantData []byte
	}{
		{"bind", func() (netlink.Message, error) { return bindMessage(q) }, 0x0302, netlink.Request | netlink.Acknowledge,
			cat(gen, attr(1, 1, 0, 0, 0))},
		{"unbind", func() (netlink.Message, error) { return unbindMessage(q) }, 0x0302, netlink.Request | netlink.Acknowledge,
			cat(gen, attr(1, 2, 0, 0, 0))},
		{"params", func() (netlink.Message, error) { return paramsMessage(q, 10000) }, 0x0302, netlink.Request | netlink.Acknowledge,
			// copy_range 0 (be32), copy_mode META, packed; maxlen 10000 be32;
			// flags and mask NFQA_CFG_F_GSO.
			cat(gen, attr(2, 0, 0, 0, 0, 1), attr(3, 0, 0, 0x27, 0x10), attr(5, 0, 0, 0, 4), attr(4, 0, 0, 0, 4))},
		{"verdict", func() (netlink.Message, error) { return verdictMessage(q, 0x01020304, verdictAccept) }, 0x0301, netlink.Request,
			cat(gen, attr(2, 0, 0, 0, 1, 1, 2, 3, 4))},
		{"batch verdict", func() (netlink.Message, error) { return batchVerdictMessage(q, 99, verdictAccept) }, 0x0303, netlink.Request,
			cat(gen, attr(2, 0, 0, 0, 1, 0, 0, 0, 99))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			if uint16(m.Header.Type) != tc.typ || m.Header.Flags != tc.flags {
				t.Errorf("header type %#x flags %v, want %#x %v", uint16(m.Header.Type), m.Header.Flags, tc.typ, tc.flags)
			}
			if !bytes.Equal(m.Data, tc.wantData) {
				t.Errorf("data\n got % x\nwant % x", m.Data, tc.wantData)
			}
		})
	}
}

func packetMessage(queue uint16, attrs ...[]byte) netlink.Message {
	gen := []byte{2, 0, 0, 0} // AF_INET
	binary.BigEndian.PutUint16(gen[2:], queue)
	return netlink.Message{Header: netlink.Header{Type: 0x0300}, Data: cat(append([][]byte{gen}, attrs...)...)}
}

func TestParsePacket(t *testing.T) {
	mark := attr(3, 0, 0, 0, 9)                     // NFQA_MARK, skipped
	hdr := attr(1, 0, 0, 0x01, 0x02, 0x08, 0x00, 3) // id 258, IPv4, LOCAL_OUT
	ifindex := attr(6|0x8000, 0, 0, 0, 5)           // NFQA_IFINDEX_OUTDEV with a flag bit, skipped
	p, q, err := parsePacket(packetMessage(7, mark, hdr, ifindex))
	if err != nil {
		t.Fatal(err)
	}
	if q != 7 || p != (Packet{ID: 258, HWProtocol: 0x0800, Hook: 3}) {
		t.Errorf("parsed queue %d packet %+v, want queue 7 {ID:258 HWProtocol:0x800 Hook:3}", q, p)
	}

	for _, tc := range []struct {
		name string
		m    netlink.Message
	}{
		{"no packet header", packetMessage(7, mark)},
		{"short packet header", packetMessage(7, attr(1, 0, 0, 1))},
		{"short message", netlink.Message{Header: netlink.Header{Type: 0x0300}, Data: []byte{2, 0}}},
		{"truncated attribute", netlink.Message{Header: netlink.Header{Type: 0x0300}, Data: cat([]byte{2, 0, 0, 7}, attr(1, 0, 0, 0, 1, 8, 0, 3)[:6])}},
	} {
		if _, _, err := parsePacket(tc.m); err == nil {
			t.Errorf("%s: parsed without an error", tc.name)
		}
	}
	// An acknowledgement or any other message is not a packet, and is
	// told apart (Receive skips it).
	if _, _, err := parsePacket(netlink.Message{Header: netlink.Header{Type: netlink.Error}, Data: make([]byte, 20)}); !errors.Is(err, errNotPacket) {
		t.Errorf("an error message: %v, want errNotPacket", err)
	}
}
