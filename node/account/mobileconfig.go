package account

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/yggpost/yggpost/envelope"
)

// MobileConfigOptions says what Settings.MobileConfig puts into the
// profile besides the account.
type MobileConfigOptions struct {
	// IncludePassword writes the password into the profile. Apple advises
	// it only for encrypted profiles, and this one is neither encrypted
	// nor signed: whoever holds the file holds the password. Left off,
	// the device asks for the password once, while installing.
	IncludePassword bool
	// Certificate, PEM or DER, is the servers' self-signed certificate.
	// The profile then carries it as a root certificate, which the user
	// turns on under Settings, General, About, Certificate Trust Settings
	// before Mail trusts the servers. A certificate that is not
	// self-signed is refused: a device trusts one from a public
	// authority without a profile.
	Certificate []byte
}

// MobileConfig returns s as an Apple configuration profile (a
// .mobileconfig file: an XML property list, unsigned), which iOS, iPadOS,
// visionOS and macOS install from a file or a download and which sets up
// the account in Apple Mail. It holds one com.apple.mail.managed payload
// and, when opts.Certificate is set, a com.apple.security.root payload
// before it. The key names and values are Apple's, as its Device
// Management reference documents them (Mail, Certificate Root, TopLevel
// and CommonPayloadKeys in github.com/apple/device-management,
// mdm/profiles).
//
// The identifiers depend on the address alone: the profile is
// "yggpost.<first 16 hex digits of the address>" and its payloads add
// ".mail" and ".certificate", with UUIDs derived from the same (see
// profileUUID). So a profile made again, for a new host or certificate,
// replaces the one installed instead of adding a second account.
//
// The profile has one switch per server, Use SSL, which Apple documents
// only as enabling SSL, with no word on TLS from the first byte against
// STARTTLS. It is set for TLS and StartTLS alike, since either way the
// connection must be encrypted: Apple Mail speaks TLS from the first
// byte on ports 993 and 465, and in practice STARTTLS on 587 (Apple's
// published iCloud settings are port 587 with SSL required, which is
// STARTTLS there). STARTTLS on another port is the combination least
// sure to work in Apple Mail.
func (s Settings) MobileConfig(opts MobileConfigOptions) ([]byte, error) {
	if err := s.checkXML(opts.IncludePassword); err != nil {
		return nil, err
	}
	var payloads []plistDict
	if opts.Certificate != nil {
		root, err := rootPayload(s.Address, opts.Certificate)
		if err != nil {
			return nil, err
		}
		payloads = append(payloads, root)
	}
	payloads = append(payloads, s.mailPayload(opts.IncludePassword))
	id := profileIdentifier(s.Address)
	return marshalPlist(plistDict{
		{"PayloadContent", payloads},
		{"PayloadDisplayName", "Yggpost mail"},
		{"PayloadDescription", "Sets up the mail account " + s.Address.String() + " on its Yggpost node."},
		{"PayloadIdentifier", id},
		{"PayloadOrganization", "Yggpost"},
		{"PayloadType", "Configuration"},
		{"PayloadUUID", profileUUID(s.Address, "profile")},
		{"PayloadVersion", 1},
	}), nil
}

// mailPayload is the com.apple.mail.managed payload for s: IMAP, the
// address as the user name for both servers, password authentication.
func (s Settings) mailPayload(withPassword bool) plistDict {
	addr := s.Address.String()
	d := plistDict{
		{"PayloadType", "com.apple.mail.managed"},
		{"PayloadVersion", 1},
		{"PayloadIdentifier", profileIdentifier(s.Address) + ".mail"},
		{"PayloadUUID", profileUUID(s.Address, "mail")},
		{"PayloadDisplayName", "Mail account " + addr},
		{"EmailAccountDescription", "Yggpost"},
		{"EmailAccountType", "EmailTypeIMAP"},
		{"EmailAddress", addr},
		{"IncomingMailServerAuthentication", "EmailAuthPassword"},
		{"IncomingMailServerHostName", s.IMAP.Host},
		{"IncomingMailServerPortNumber", int(s.IMAP.Port)},
		{"IncomingMailServerUseSSL", s.IMAP.Security != Plain},
		{"IncomingMailServerUsername", addr},
		{"OutgoingMailServerAuthentication", "EmailAuthPassword"},
		{"OutgoingMailServerHostName", s.SMTP.Host},
		{"OutgoingMailServerPortNumber", int(s.SMTP.Port)},
		{"OutgoingMailServerUseSSL", s.SMTP.Security != Plain},
		{"OutgoingMailServerUsername", addr},
	}
	if withPassword {
		return append(d, plistEntry{"IncomingPassword", s.Password}, plistEntry{"OutgoingPassword", s.Password})
	}
	// One question for both servers while installing, instead of two.
	return append(d, plistEntry{"OutgoingPasswordSameAsIncomingPassword", true})
}

// rootPayload is the com.apple.security.root payload carrying the
// self-signed certificate cert (PEM or DER) as DER.
func rootPayload(addr envelope.Address, cert []byte) (plistDict, error) {
	parsed, err := ParseCertificate(cert)
	if err != nil {
		return nil, err
	}
	if !SelfSigned(parsed) {
		return nil, errors.New("account settings: the certificate is not self-signed; a device trusts a certificate from a public authority without a profile")
	}
	return plistDict{
		{"PayloadType", "com.apple.security.root"},
		{"PayloadVersion", 1},
		{"PayloadIdentifier", profileIdentifier(addr) + ".certificate"},
		{"PayloadUUID", profileUUID(addr, "certificate")},
		{"PayloadDisplayName", "Yggpost node certificate"},
		{"PayloadCertificateFileName", "yggpost-node.cer"},
		{"PayloadContent", parsed.Raw},
	}, nil
}

// checkXML is checkWith followed by checkXMLText on every string of s
// that goes into an XML file.
func (s Settings) checkXML(withPassword bool) error {
	if err := s.checkWith(withPassword); err != nil {
		return err
	}
	if err := checkXMLText("IMAP host", s.IMAP.Host); err != nil {
		return err
	}
	if err := checkXMLText("SMTP host", s.SMTP.Host); err != nil {
		return err
	}
	if withPassword {
		return checkXMLText("password", s.Password)
	}
	return nil
}

// profileIdentifier is the profile's reverse-DNS style identifier,
// "yggpost." and the first 16 hex digits of the address: 64 bits, unique
// among any one person's accounts.
func profileIdentifier(addr envelope.Address) string {
	return "yggpost." + addr.Hex()[:16]
}

// profileUUID derives the UUID of one part of addr's profile, named by
// role, from SHA-256 of both: the same account gives the same UUIDs every
// time. It is a version 8 UUID (RFC 9562, section 5.8, whose appendix
// B.2 shows the same use of SHA-256 for a name-based UUID), written in
// upper case as uuidgen writes it.
func profileUUID(addr envelope.Address, role string) string {
	sum := sha256.Sum256([]byte("yggpost mobileconfig " + role + " " + addr.String()))
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // variant 10, RFC 9562's
	return fmt.Sprintf("%X-%X-%X-%X-%X", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
