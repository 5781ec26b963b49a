package tlscert

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// defaultHosts are covered by every self-signed certificate: the names of
// the machine itself, for clients on it and for tunnels to it.
var defaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// normaliseHosts checks the host names and IP addresses a user gave and
// returns them after defaultHosts, each once: names in lower case without
// a final dot, addresses in their canonical text form (IPv4 for an
// IPv4-mapped IPv6 address).
func normaliseHosts(hosts []string) ([]string, error) {
	out := slices.Clone(defaultHosts)
	for _, h := range hosts {
		n, err := normaliseHost(h)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func normaliseHost(h string) (string, error) {
	trimmed := strings.TrimSpace(h)
	if ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(trimmed, "["), "]")); err == nil {
		if ip.Zone() != "" {
			return "", fmt.Errorf("TLS host %q: an address with a zone cannot be in a certificate", h)
		}
		return ip.Unmap().String(), nil
	}
	name := strings.ToLower(strings.TrimSuffix(trimmed, "."))
	if !validHostName(name) {
		return "", fmt.Errorf("TLS host %q is neither an IP address nor a host name (letters, digits, hyphens and dots)", h)
	}
	return name, nil
}

// validHostName reports whether name, in lower case, is a DNS host name:
// dot-separated labels of 1 to 63 letters, digits and inner hyphens, 253
// bytes in all. Wildcards are not accepted.
func validHostName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
