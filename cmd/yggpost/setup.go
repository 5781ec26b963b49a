package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/account"
)

// profileFile is the name -setup gives the Apple configuration profile.
const profileFile = "yggpost.mobileconfig"

// setupFlags holds -setup and -setup-dir.
type setupFlags struct {
	host string
	dir  string
}

func (f *setupFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.host, "setup", "", "ask for the password, then print the settings, a Delta Chat link and QR code for devices that reach this node as `host`, write an Apple profile and a Thunderbird autoconfig file, and exit")
	fs.StringVar(&f.dir, "setup-dir", ".", "`directory` -setup writes its files to")
}

// tlsListeners are the node's listen addresses that other devices reach:
// TLS from the first byte on IMAPS and Submissions, or, where one of
// those is off (""), STARTTLS on the IMAP or SMTP listener instead.
type tlsListeners struct {
	IMAPS, Submissions string
	IMAP, SMTP         string
}

// remoteAccess is what -setup tells other devices beyond the account:
// the servers and the certificate they meet there.
type remoteAccess struct {
	IMAP, SMTP account.Server
	// Certificate is the listeners' certificate, PEM or DER, or nil when
	// not known. A self-signed one goes into the Apple profile and makes
	// the Delta Chat link accept it; any one's SHA-256 goes into the
	// table.
	Certificate []byte
	// CertificateSHA256 is the certificate's fingerprint, printed when
	// Certificate is nil; with both, they must agree.
	CertificateSHA256 []byte
}

// runSetup asks for the password, checks it, and gives devices that reach
// the node as the host in flags what they need to set the account up
// (writeSetup).
func runSetup(n accountSource, cfg node.Config, flags setupFlags, stdin io.Reader, stdout, stderr io.Writer) int {
	host, err := setupHost(flags.host)
	if err != nil {
		return usageError(stderr, "-setup", err)
	}
	listeners := tlsListeners{IMAPS: cfg.IMAPSAddr, Submissions: cfg.SubmissionsAddr, IMAP: cfg.IMAPAddr, SMTP: cfg.SMTPAddr}
	access, err := listeners.access(host)
	if err != nil {
		return usageError(stderr, "-setup", err)
	}
	access.Certificate = n.TLSCertificatePEM()
	pw, err := askPassword(n, stdin, stderr)
	if err != nil {
		return usageError(stderr, "-setup", err)
	}
	if err := writeSetup(stdout, flags.dir, n.Address(), pw, access); err != nil {
		return usageError(stderr, "-setup", err)
	}
	return exitOK
}

// setupHost checks the host other devices reach the node by: a DNS name
// or an IP address (brackets around IPv6 allowed), without a port.
func setupHost(host string) (string, error) {
	if ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); ip != nil {
		if ip.IsUnspecified() {
			return "", fmt.Errorf("%q: a device cannot connect to the unspecified address; give the node's address on the network", host)
		}
		return ip.String(), nil
	}
	bad := func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune(`/\:@?#[]%"'<>`, r) }
	if host == "" || strings.ContainsFunc(host, bad) {
		return "", fmt.Errorf("%q: want the host name or IP address other devices reach this node by, without a port", host)
	}
	return host, nil
}

// access returns the servers a device reaching the node as host
// connects to.
func (l tlsListeners) access(host string) (remoteAccess, error) {
	imap, err := remoteServer(host, "-imaps", l.IMAPS, "-imap", l.IMAP)
	if err != nil {
		return remoteAccess{}, err
	}
	smtp, err := remoteServer(host, "-submissions", l.Submissions, "-smtp", l.SMTP)
	if err != nil {
		return remoteAccess{}, err
	}
	return remoteAccess{IMAP: imap, SMTP: smtp}, nil
}

// remoteServer is the server on host at the port of the TLS listener
// tlsAddr, or, when that is off, of the STARTTLS one startTLSAddr; the
// flag names say which in an error.
func remoteServer(host, tlsFlag, tlsAddr, startTLSFlag, startTLSAddr string) (account.Server, error) {
	which, addr, sec := tlsFlag, tlsAddr, account.TLS
	if addr == "" {
		which, addr, sec = startTLSFlag, startTLSAddr, account.StartTLS
	}
	port, err := listenPort(which, addr)
	if err != nil {
		return account.Server{}, err
	}
	return account.Server{Host: host, Port: port, Security: sec}, nil
}

// writeSetup writes the Apple profile and the Thunderbird autoconfig file
// for the account at addr with password on the servers in access into
// dir, then prints the settings table, the Delta Chat link and its QR
// code, and what to do with each file. Everything is built before
// anything is written, so settings one form refuses leave no file.
func writeSetup(w io.Writer, dir string, addr envelope.Address, password string, access remoteAccess) error {
	s := account.Settings{Address: addr, Password: password, IMAP: access.IMAP, SMTP: access.SMTP}
	table, profileOpts, err := applyCertificate(&s, access)
	if err != nil {
		return err
	}
	text, err := accountText(s, table)
	if err != nil {
		return err
	}
	profile, err := s.MobileConfig(profileOpts)
	if err != nil {
		return err
	}
	autoconfig, err := s.Autoconfig()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create -setup-dir: %w", err)
	}
	for name, data := range map[string][]byte{profileFile: profile, account.AutoconfigFile: autoconfig} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	fmt.Fprint(w, text)
	writeFileHints(w, dir, profileOpts.Certificate != nil, table.CertificateSHA256 != nil)
	return nil
}

// applyCertificate sets what the listeners' certificate decides: the
// fingerprint in the table; for a self-signed certificate, the profile
// carrying it and a link that accepts it (Delta Chat cannot pin one); for
// any other, strict checks.
func applyCertificate(s *account.Settings, access remoteAccess) (account.TableOptions, account.MobileConfigOptions, error) {
	table := account.TableOptions{CertificateSHA256: access.CertificateSHA256}
	var profile account.MobileConfigOptions
	if access.Certificate == nil {
		return table, profile, nil
	}
	cert, err := account.ParseCertificate(access.Certificate)
	if err != nil {
		return table, profile, err
	}
	sum := account.CertificateSHA256(cert)
	if table.CertificateSHA256 != nil && !bytes.Equal(table.CertificateSHA256, sum) {
		return table, profile, errors.New("the certificate's SHA-256 is not the fingerprint given with it")
	}
	table.CertificateSHA256 = sum
	s.CertificateChecks = account.ChecksStrict
	if account.SelfSigned(cert) {
		s.CertificateChecks = account.ChecksAcceptInvalid
		profile.Certificate = access.Certificate
	}
	return table, profile, nil
}

// writeFileHints says where each file -setup wrote into dir goes.
func writeFileHints(w io.Writer, dir string, rootInProfile, fingerprint bool) {
	fmt.Fprintf(w, "\n%s\n", filepath.Join(dir, profileFile))
	fmt.Fprintf(w, "    Apple Mail (iPhone, iPad, Mac): open the file on the device and install the\n")
	fmt.Fprintf(w, "    profile (Settings, Profile Downloaded); it asks for the password.\n")
	if rootInProfile {
		fmt.Fprintf(w, "    It holds the node's self-signed certificate: after installing, turn on full\n")
		fmt.Fprintf(w, "    trust for it in Settings, General, About, Certificate Trust Settings.\n")
	}
	fmt.Fprintf(w, "%s\n", filepath.Join(dir, account.AutoconfigFile))
	fmt.Fprintf(w, "    Thunderbird: copy the file into the \"isp\" folder of Thunderbird's installation\n")
	fmt.Fprintf(w, "    as yggmail.xml, then add the account with the address and the password.\n")
	if fingerprint {
		fmt.Fprintf(w, "\nA client that warns about the certificate shows its SHA-256 fingerprint:\n")
		fmt.Fprintf(w, "accept the certificate only when that is the one in the table above.\n")
	}
}
