package imapd

import (
	"bytes"
	"strings"
)

// offeredEnable lists the capabilities this server lets a client ENABLE
// (RFC 5161): those it advertises. imapserver would also enable IMAP4rev2,
// which is not advertised, and then leave out what IMAP4rev2 dropped
// (RECENT) while the rest of the session speaks IMAP4rev1.
var offeredEnable = map[string]bool{"UTF8=ACCEPT": true, "CONDSTORE": true, "QRESYNC": true}

// withOfferedEnable returns line, an ENABLE command, with the capabilities
// this server does not offer left out: RFC 5161 has the server ignore
// them. Any other line is returned as it is.
func withOfferedEnable(line []byte) []byte {
	sc := &argScanner{line: line}
	tag, cmd, ok := sc.command()
	if !ok || cmd != "ENABLE" {
		return line
	}
	end := bytes.TrimRight(line[sc.pos:], "\r\n")
	kept := []string{}
	for _, c := range strings.Fields(string(end)) {
		if offeredEnable[strings.ToUpper(c)] {
			kept = append(kept, c)
		}
	}
	if len(kept) == len(strings.Fields(string(end))) {
		return line
	}
	out := tag + " ENABLE"
	for _, c := range kept {
		out += " " + c
	}
	return []byte(out + "\r\n")
}
