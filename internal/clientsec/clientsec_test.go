package clientsec

import (
	"net"
	"testing"
)

func TestPasswordAllowed(t *testing.T) {
	remote := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 40000}
	for _, c := range []struct {
		name   string
		p      Policy
		remote net.Addr
		tls    bool
		want   bool
	}{
		{"remote, no TLS", Policy{}, remote, false, false},
		{"remote, TLS", Policy{}, remote, true, true},
		{"remote, no TLS, plain allowed", Policy{AllowPlain: true}, remote, false, true},
		{"IPv4 loopback", Policy{}, &net.TCPAddr{IP: net.ParseIP("127.0.0.1")}, false, true},
		{"127/8", Policy{}, &net.TCPAddr{IP: net.ParseIP("127.1.2.3")}, false, true},
		{"IPv6 loopback", Policy{}, &net.TCPAddr{IP: net.ParseIP("::1")}, false, true},
		{"IPv4-mapped loopback", Policy{}, &net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.1")}, false, true},
		{"4-byte loopback", Policy{}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1).To4()}, false, true},
		{"unspecified", Policy{}, &net.TCPAddr{IP: net.IPv6unspecified}, false, false},
		{"link-local", Policy{}, &net.TCPAddr{IP: net.ParseIP("fe80::1")}, false, false},
		{"no IP", Policy{}, &net.TCPAddr{}, false, false},
		{"unix socket", Policy{}, &net.UnixAddr{Name: "/tmp/x", Net: "unix"}, false, false},
		{"nil", Policy{}, nil, false, false},
	} {
		if got := c.p.PasswordAllowed(c.remote, c.tls); got != c.want {
			t.Errorf("%s: PasswordAllowed = %v, want %v", c.name, got, c.want)
		}
	}
}
