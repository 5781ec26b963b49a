package loginguard

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// stringAddr is a net.Addr of a type the package does not know, whose
// String is whatever a transport made of the peer.
type stringAddr string

func (a stringAddr) Network() string { return "fuzz" }
func (a stringAddr) String() string  { return string(a) }

// FuzzAddressGroup feeds arbitrary remote address strings to the grouping:
// it must never panic, and a group is the zero Prefix, an IPv4 /32 or an
// IPv6 /64 that contains the address.
func FuzzAddressGroup(f *testing.F) {
	for _, s := range []string{"192.0.2.7:993", "[2001:db8::1]:587", "[fe80::1%eth0]:143", "::ffff:10.0.0.1",
		"2001:db8::1", "@", "", "pipe", "[::1]", "1.2.3.4:99999", "[::ffff:1.2.3.4%x]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := groupOf(stringAddr(s))
		text := groupText(p)
		if !p.IsValid() {
			if p != (netip.Prefix{}) {
				t.Fatalf("%q: an invalid group other than the zero one: %v", s, p)
			}
			return
		}
		ip := parseIP(s).Unmap().WithZone("")
		switch {
		case p.Bits() == 32 && ip.Is4() && text == ip.String():
		case p.Bits() == 64 && ip.Is6() && text == p.String():
		default:
			t.Fatalf("%q: group %v (%q) for address %v", s, p, text, ip)
		}
		if !p.Contains(ip) || p.Masked() != p {
			t.Fatalf("%q: group %v does not hold %v as a masked prefix", s, p, ip)
		}
	})
}

// FuzzGuard drives a small Guard with an arbitrary sequence of logins,
// failures, successes and clock steps, and checks its invariants after
// each: the table stays within its bound, no wait exceeds MaxDelay, a
// success clears its group, and a group is refused only after RefuseAfter
// failures since its last success.
func FuzzGuard(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0})
	f.Add([]byte{5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 4, 4, 4, 3})
	f.Fuzz(func(t *testing.T, ops []byte) {
		h := newHarness(t, Options{MaxAddresses: 4, RefuseAfter: 5, Window: time.Minute, RefuseFor: time.Minute})
		addrs := []net.Addr{tcp("192.0.2.1"), tcp("192.0.2.2"), tcp("2001:db8::1"), tcp("2001:db8:0:1::1"), tcp("2001:db8::2"), nil}
		streak := map[netip.Prefix]int{} // failures since the last success, as far as this test knows
		for _, op := range ops {
			remote := addrs[int(op>>3)%len(addrs)]
			group := groupOf(remote)
			switch op & 7 {
			case 0, 1:
				_, err := h.login(remote, false)
				if errors.Is(err, errWrongPassword) {
					streak[group]++
				}
			case 2:
				if _, err := h.login(remote, true); err == nil {
					streak[group] = 0
					if wait, err := h.Check(remote); wait != 0 || err != nil {
						t.Fatalf("after a success from %v: %s, %v", remote, wait, err)
					}
				}
			case 3:
				h.Failed(remote)
				streak[group]++
			case 4:
				h.Succeeded(remote)
				streak[group] = 0
			case 5:
				h.advance(time.Duration(op) * time.Second)
			default:
				wait, err := h.Check(remote)
				if wait < 0 || wait > MaxDelay {
					t.Fatalf("wait %s", wait)
				}
				if err != nil && streak[group] < 5 {
					t.Fatalf("%v refused after %d failures since its last success", remote, streak[group])
				}
			}
			if n := h.records.Len(); n > 4 {
				t.Fatalf("%d records, bound 4", n)
			}
		}
	})
}
