// Package clientsec decides when a mail client may send its password to
// the node's IMAP and SMTP servers: over TLS always; without TLS only from
// the same machine (a loopback address), unless the user explicitly
// allowed plain passwords from anywhere, for a network that protects
// itself (a VPN, a mesh-only LAN). Both servers ask it, so that they
// answer the same way.
package clientsec

import (
	"net"
	"net/netip"
)

// Policy is the user's choice for connections without TLS.
type Policy struct {
	// AllowPlain lets clients on other machines send their password
	// without TLS. Anyone who can read the network then reads it.
	AllowPlain bool
}

// PasswordAllowed reports whether a client at remote may authenticate on
// a connection that runs TLS (tlsActive) or not.
func (p Policy) PasswordAllowed(remote net.Addr, tlsActive bool) bool {
	return tlsActive || p.AllowPlain || Loopback(remote)
}

// Loopback reports whether a is a loopback address (127.0.0.0/8, ::1,
// or an IPv4 loopback address mapped into IPv6). Anything that is not an
// IP address is not loopback.
func Loopback(a net.Addr) bool {
	var ip netip.Addr
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	case *net.UDPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	case *net.IPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	default:
		return false
	}
	return ip.Unmap().IsLoopback()
}
