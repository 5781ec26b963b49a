package loginguard

import (
	"net"
	"net/netip"
)

// groupOf returns the address group of remote: its IPv4 address as a /32,
// or the /64 of its IPv6 address. An address that is not IP gives the
// zero Prefix, one group for all of them.
func groupOf(remote net.Addr) netip.Prefix {
	var ip netip.Addr
	switch a := remote.(type) {
	case nil:
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
	case *net.UDPAddr:
		ip = a.AddrPort().Addr()
	default:
		ip = parseIP(a.String())
	}
	return group(ip)
}

// parseIP reads "host:port" or a bare address, as the String of an
// address type this package does not know may give; anything else is no
// address.
func parseIP(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr()
	}
	ip, _ := netip.ParseAddr(s)
	return ip
}

func group(ip netip.Addr) netip.Prefix {
	if !ip.IsValid() {
		return netip.Prefix{}
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.Prefix(64)
	return p
}

// groupText names a group in messages: the IPv4 address alone, an IPv6
// prefix with its length.
func groupText(p netip.Prefix) string {
	switch {
	case !p.IsValid():
		return "an address that is not IP"
	case p.Addr().Is4():
		return p.Addr().String()
	}
	return p.String()
}
