package account

import (
	"encoding/xml"
	"fmt"

	"github.com/yggpost/yggpost/envelope"
)

// AutoconfigFile is the name Thunderbird fetches an autoconfig file by
// from a mail domain's web server; Settings.Autoconfig writes its
// content.
const AutoconfigFile = "config-v1.1.xml"

// tbSocketType maps a Security to the autoconfig file's socketType.
var tbSocketType = map[Security]string{Plain: "plain", TLS: "SSL", StartTLS: "STARTTLS"}

// tbClientConfig and the types below are the part of Thunderbird's
// autoconfig format (clientConfig version 1.1) that an account on a
// node needs, in the order the format lists its elements.
type tbClientConfig struct {
	XMLName  xml.Name   `xml:"clientConfig"`
	Version  string     `xml:"version,attr"`
	Provider tbProvider `xml:"emailProvider"`
}

type tbProvider struct {
	ID               string   `xml:"id,attr"`
	Domain           string   `xml:"domain"`
	DisplayName      string   `xml:"displayName"`
	DisplayShortName string   `xml:"displayShortName"`
	Incoming         tbServer `xml:"incomingServer"`
	Outgoing         tbServer `xml:"outgoingServer"`
}

type tbServer struct {
	Type           string `xml:"type,attr"`
	Hostname       string `xml:"hostname"`
	Port           uint16 `xml:"port"`
	SocketType     string `xml:"socketType"`
	Username       string `xml:"username"`
	Authentication string `xml:"authentication"`
}

// Autoconfig returns s as a Thunderbird autoconfig file (config-v1.1.xml,
// clientConfig version 1.1), which Thunderbird's account set-up reads
// for the domain "yggmail": one IMAP and one SMTP server, the socket type
// "SSL", "STARTTLS" or "plain", "password-cleartext" authentication (a
// normal password, which the TLS of SSL and STARTTLS protects) and the
// user name "%EMAILADDRESS%", which Thunderbird replaces with the address
// typed in set-up, the node's own. The file never holds the password.
//
// Thunderbird reads it from the mail domain's web server, which
// "yggmail" has none of, or from the "isp" folder of its installation as
// "yggmail.xml": the way for a node's account.
func (s Settings) Autoconfig() ([]byte, error) {
	if err := s.checkXML(false); err != nil {
		return nil, err
	}
	doc := tbClientConfig{
		Version: "1.1",
		Provider: tbProvider{
			ID:               envelope.Domain,
			Domain:           envelope.Domain,
			DisplayName:      "Yggpost node " + s.IMAP.Host,
			DisplayShortName: "Yggpost",
			Incoming:         tbServerFor("imap", s.IMAP),
			Outgoing:         tbServerFor("smtp", s.SMTP),
		},
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write autoconfig: %w", err)
	}
	return append(append([]byte(xml.Header), out...), '\n'), nil
}

// tbServerFor is srv as an autoconfig server of the given type.
func tbServerFor(typ string, srv Server) tbServer {
	return tbServer{
		Type:           typ,
		Hostname:       srv.Host,
		Port:           srv.Port,
		SocketType:     tbSocketType[srv.Security],
		Username:       "%EMAILADDRESS%",
		Authentication: "password-cleartext",
	}
}
