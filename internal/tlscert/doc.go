// Package tlscert owns the TLS certificate that the node's IMAP and SMTP
// listeners present to mail clients that reach it over the network, and
// the tls.Config those listeners use.
//
// # Sources
//
// The certificate comes from one of two places:
//
//   - The user's files (Options.CertFile and Options.KeyFile, PEM). The
//     certificate file holds the server's own certificate first, then any
//     intermediate certificates. Reload reads both files again, so an ACME
//     client on the host can renew them and signal the node. A reload that
//     fails leaves the previous certificate in service and returns an error
//     naming the file and what is wrong with it.
//   - By default, a self-signed certificate the node makes on first start
//     and keeps in its database through the Settings interface, under the
//     setting SettingSelfSigned.
//
// # The self-signed certificate
//
// It has an ECDSA P-256 key (every mail client handles it; Ed25519 server
// certificates are still refused by several), a random 127-bit serial
// number, the subject "Yggpost node <Options.Name>", the key usage TLS server
// only, and is valid for Validity (under the 825 days that Apple's systems
// accept for a TLS server certificate). It names "localhost", 127.0.0.1,
// ::1 and each of Options.Hosts as subject alternative names.
//
// Mail clients trust it by remembering (pinning) it, so a new one makes
// every client ask its user again: a new certificate is made only when it
// must be. That is when none is stored, when the stored one expires within
// RenewBefore, when it does not cover a host in Options.Hosts, or when
// Options.Renew asks for one. Open and Reload then return a Change whose
// Old and New fingerprints differ, for the node to log.
//
// # Stored layout
//
// One setting, SettingSelfSigned, holds the certificate and its key as two
// PEM blocks, "CERTIFICATE" then "PRIVATE KEY" (PKCS #8), written in one
// SetSetting call so they can never disagree.
//
// # Invariants
//
//   - The certificate in service is replaced only by a complete, checked
//     pair (certificate and matching key); handshakes read it through
//     Config's GetCertificate, so a replacement applies to the next
//     handshake without restarting a listener.
//   - A stored value that cannot be read as a certificate and its key is
//     reported (ErrDamaged, naming the setting) and left as it is; it is
//     replaced only when Options.Renew asks for it. Replacing it silently
//     would change the fingerprint clients pinned without telling anyone.
//   - Nothing in this package runs on its own: renewal happens only in
//     Open and Reload. The node calls Reload on SIGHUP, and about once a
//     day so that a node that runs for months renews its self-signed
//     certificate in time.
//   - A stored certificate that is not valid yet is kept: the likely cause
//     is a clock that is behind, which a new certificate would not fix.
package tlscert
