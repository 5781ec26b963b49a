package tlscert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yggpost/yggpost/mailbox"
)

func selfSignedOptions(st Settings, c *clock) Options {
	return Options{Settings: st, Name: "0123abcd", Hosts: []string{"Mail.Example.ORG.", "192.0.2.7", "[2001:db8::1]"}, Now: c.Now}
}

func TestSelfSignedIsKeptAcrossRestarts(t *testing.T) {
	st, c := newSettings(), newClock()
	first, change := mustOpen(t, selfSignedOptions(st, c))
	if change.Old != "" || change.New != first.Fingerprint() || change.Reason != "none was stored" || !change.Changed() {
		t.Fatalf("first start: change %+v, fingerprint %s", change, first.Fingerprint())
	}
	if !first.SelfSigned() {
		t.Error("SelfSigned() = false for the node's own certificate")
	}
	c.Set(t0.Add(90 * 24 * time.Hour))
	again, change := mustOpen(t, selfSignedOptions(st, c))
	if again.Fingerprint() != first.Fingerprint() {
		t.Fatalf("after a restart the fingerprint is %s, want %s", again.Fingerprint(), first.Fingerprint())
	}
	if change.Changed() || change.Reason != "" || change.Old != first.Fingerprint() {
		t.Errorf("restart: change %+v, want none", change)
	}
	if st.writes != 1 {
		t.Errorf("%d writes to the settings, want 1", st.writes)
	}
}

func TestSelfSignedCertificate(t *testing.T) {
	st, c := newSettings(), newClock()
	src, _ := mustOpen(t, selfSignedOptions(st, c))
	leaf := src.Leaf()
	if key, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || key.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", leaf.PublicKey)
	}
	if life := leaf.NotAfter.Sub(leaf.NotBefore); life > 825*24*time.Hour {
		t.Errorf("valid for %s, more than Apple's 825 days", life)
	}
	if !leaf.NotBefore.Before(t0) || leaf.NotAfter.Before(t0.Add(800*24*time.Hour)) {
		t.Errorf("valid from %s to %s, want from before %s for about 820 days", leaf.NotBefore, leaf.NotAfter, t0)
	}
	if leaf.Subject.CommonName != "Yggpost node 0123abcd" {
		t.Errorf("subject CN %q", leaf.Subject.CommonName)
	}
	if !slices.Equal(leaf.DNSNames, []string{"localhost", "mail.example.org"}) {
		t.Errorf("DNS names %q", leaf.DNSNames)
	}
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	if !slices.Equal(ips, []string{"127.0.0.1", "::1", "192.0.2.7", "2001:db8::1"}) {
		t.Errorf("IP addresses %q", ips)
	}
	if leaf.IsCA || !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("IsCA %v, extended key usage %v: want a TLS server certificate that is not a CA", leaf.IsCA, leaf.ExtKeyUsage)
	}
	if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil || !bytes.Equal(leaf.RawIssuer, leaf.RawSubject) {
		t.Errorf("not self-signed: %v", err)
	}
	if leaf.SerialNumber.Sign() <= 0 || leaf.SerialNumber.BitLen() > 128 {
		t.Errorf("serial number %s", leaf.SerialNumber)
	}
	other, _ := mustOpen(t, selfSignedOptions(newSettings(), c))
	if other.Leaf().SerialNumber.Cmp(leaf.SerialNumber) == 0 {
		t.Error("two certificates have the same serial number")
	}
	block, rest := pem.Decode(src.CertPEM())
	if block == nil || block.Type != "CERTIFICATE" || !bytes.Equal(block.Bytes, leaf.Raw) || len(rest) != 0 {
		t.Errorf("CertPEM is not the leaf alone:\n%s", src.CertPEM())
	}
}

func TestSelfSignedStoredLayout(t *testing.T) {
	st, c := newSettings(), newClock()
	src, _ := mustOpen(t, selfSignedOptions(st, c))
	var types []string
	for data := st.get(SettingSelfSigned); ; {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		types = append(types, block.Type)
		data = rest
	}
	if !slices.Equal(types, []string{"CERTIFICATE", "PRIVATE KEY"}) {
		t.Errorf("setting %q holds blocks %q", SettingSelfSigned, types)
	}
	if !bytes.HasPrefix(st.get(SettingSelfSigned), src.CertPEM()) {
		t.Error("the stored certificate is not the one in service")
	}
}

func TestSelfSignedHandshake(t *testing.T) {
	src, _ := mustOpen(t, Options{Settings: newSettings(), Hosts: []string{"mail.example.org"}})
	addr := serve(t, src.Config())
	for _, name := range []string{"localhost", "mail.example.org", ""} {
		got, err := dial(addr, trusting(name, src.Leaf()))
		if err != nil {
			t.Fatalf("handshake for %q, trusting the certificate: %v", name, err)
		}
		if got != src.Fingerprint() {
			t.Fatalf("client saw %s, want %s", got, src.Fingerprint())
		}
	}
	if _, err := dial(addr, trusting("other.example.org", src.Leaf())); err == nil {
		t.Error("a client verified the certificate for a host it does not name")
	}
	old := trusting("localhost", src.Leaf())
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if _, err := dial(addr, old); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("a TLS 1.1 client: %v; want the server to refuse its protocol version", err)
	}
}

func TestSelfSignedRenewedBeforeExpiry(t *testing.T) {
	st, c := newSettings(), newClock()
	src, _ := mustOpen(t, selfSignedOptions(st, c))
	first := src.Fingerprint()
	notAfter := src.Leaf().NotAfter

	c.Set(notAfter.Add(-RenewBefore - time.Hour))
	if change, err := src.Reload(); err != nil || change.Changed() {
		t.Fatalf("Reload %d days before expiry: change %+v, err %v; want none", RenewBefore/(24*time.Hour)+1, change, err)
	}
	c.Set(notAfter.Add(-RenewBefore + time.Hour))
	change, err := src.Reload()
	if err != nil {
		t.Fatal(err)
	}
	want := "the previous one expires on " + notAfter.Format(time.DateOnly)
	if change.Old != first || change.New == first || change.New != src.Fingerprint() || change.Reason != want {
		t.Fatalf("Reload within %s of expiry: change %+v, want %s → new, reason %q", RenewBefore, change, first, want)
	}
	if !src.Leaf().NotBefore.Before(c.Now()) || !src.Leaf().NotAfter.After(c.Now().Add(800*24*time.Hour)) {
		t.Errorf("renewed certificate valid from %s to %s", src.Leaf().NotBefore, src.Leaf().NotAfter)
	}
	again, change := mustOpen(t, selfSignedOptions(st, c))
	if again.Fingerprint() != src.Fingerprint() || change.Changed() {
		t.Errorf("after a restart: %s (change %+v), want the renewed %s", again.Fingerprint(), change, src.Fingerprint())
	}
}

func TestSelfSignedExpiredIsRenewedAtStart(t *testing.T) {
	st, c := newSettings(), newClock()
	src, _ := mustOpen(t, selfSignedOptions(st, c))
	c.Set(src.Leaf().NotAfter.Add(400 * 24 * time.Hour))
	again, change := mustOpen(t, selfSignedOptions(st, c))
	if change.Old != src.Fingerprint() || change.New != again.Fingerprint() || !change.Changed() ||
		!strings.HasPrefix(change.Reason, "the previous one expired on ") {
		t.Errorf("start long after expiry: change %+v", change)
	}
}

func TestSelfSignedNotYetValidIsKept(t *testing.T) {
	st, c := newSettings(), newClock()
	src, _ := mustOpen(t, selfSignedOptions(st, c))
	c.Set(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)) // a Raspberry Pi before NTP
	again, change := mustOpen(t, selfSignedOptions(st, c))
	if change.Changed() || again.Fingerprint() != src.Fingerprint() {
		t.Errorf("a clock behind the certificate renewed it: %+v", change)
	}
}

func TestSelfSignedRenewedForNewHost(t *testing.T) {
	st, c := newSettings(), newClock()
	opts := Options{Settings: st, Hosts: []string{"mail.example.org"}, Now: c.Now}
	first, _ := mustOpen(t, opts)

	opts.Hosts = []string{"mail.example.org", "2001:db8::25"}
	second, change := mustOpen(t, opts)
	if change.Old != first.Fingerprint() || change.New != second.Fingerprint() || change.Reason != `the previous one does not cover "2001:db8::25"` {
		t.Fatalf("new host: change %+v", change)
	}
	for _, hosts := range [][]string{{"mail.example.org"}, {"[2001:db8::25]", "MAIL.example.org", "localhost"}, nil} {
		opts.Hosts = hosts
		if src, change := mustOpen(t, opts); change.Changed() || src.Fingerprint() != second.Fingerprint() {
			t.Errorf("hosts %q, all covered: change %+v", hosts, change)
		}
	}
}

func TestSelfSignedRenewOnRequest(t *testing.T) {
	st, c := newSettings(), newClock()
	first, _ := mustOpen(t, selfSignedOptions(st, c))
	opts := selfSignedOptions(st, c)
	opts.Renew = true
	second, change := mustOpen(t, opts)
	if change.Old != first.Fingerprint() || change.New != second.Fingerprint() || !change.Changed() || change.Reason != "a new one was asked for" {
		t.Errorf("Renew: change %+v", change)
	}
	if !bytes.HasPrefix(st.get(SettingSelfSigned), second.CertPEM()) {
		t.Error("the renewed certificate was not stored")
	}
	// Renew applies to Open only: a Reload keeps what is in service.
	if change, err := second.Reload(); err != nil || change.Changed() {
		t.Errorf("Reload after Open with Renew: change %+v, err %v", change, err)
	}
}

func TestSelfSignedDamagedSetting(t *testing.T) {
	c := newClock()
	goodA, _ := makeSelfSigned("a", defaultHosts, t0)
	goodB, _ := makeSelfSigned("b", defaultHosts, t0)
	certA, _, _ := bytes.Cut(goodA, []byte("-----BEGIN PRIVATE KEY"))
	_, keyB, _ := bytes.Cut(goodB, []byte("-----END CERTIFICATE-----\n"))
	for _, tc := range []struct {
		name, value, want string
	}{
		{"garbage", "\x00\x01 not PEM at all", `no PEM "CERTIFICATE" block`},
		{"empty", "", `no PEM "CERTIFICATE" block`},
		{"no key", string(certA), `no PEM "PRIVATE KEY" block`},
		{"another certificate's key", string(certA) + string(keyB), "does not belong to the certificate"},
		{"cut short", string(goodA[:len(goodA)-20]), `no PEM "PRIVATE KEY" block`},
		{"bad DER", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "certificate 1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newSettings()
			st.values[SettingSelfSigned] = []byte(tc.value)
			_, _, err := Open(selfSignedOptions(st, c))
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), `setting "tls.self-signed"`) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, want ErrDamaged naming the setting and saying %q", err, tc.want)
			}
			if st.writes != 0 || string(st.get(SettingSelfSigned)) != tc.value {
				t.Fatal("the damaged setting was overwritten without Renew")
			}
			opts := selfSignedOptions(st, c)
			opts.Renew = true
			src, change := mustOpen(t, opts)
			if change.Old != "" || change.New != src.Fingerprint() || !strings.Contains(change.Reason, "damaged") {
				t.Errorf("Renew over a damaged setting: change %+v", change)
			}
			if again, _ := mustOpen(t, selfSignedOptions(st, c)); again.Fingerprint() != src.Fingerprint() {
				t.Error("the replacement was not stored")
			}
		})
	}
}

func TestSelfSignedSettingsFailures(t *testing.T) {
	c := newClock()
	st := newSettings()
	st.readErr = errInjected
	if _, _, err := Open(selfSignedOptions(st, c)); !errors.Is(err, errInjected) || st.writes != 0 {
		t.Errorf("read failure: Open = %v after %d writes; want the read error and no write", err, st.writes)
	}

	st = newSettings()
	st.writeErr = errInjected
	if _, _, err := Open(selfSignedOptions(st, c)); !errors.Is(err, errInjected) {
		t.Errorf("first start, write failure: Open = %v", err)
	}

	st = newSettings()
	src, _ := mustOpen(t, selfSignedOptions(st, c))
	old := src.Fingerprint()
	st.writeErr = errInjected
	c.Set(src.Leaf().NotAfter.Add(-time.Hour))
	change, err := src.Reload()
	if !errors.Is(err, errInjected) || change.Changed() || src.Fingerprint() != old {
		t.Errorf("renewal that cannot be stored: Reload = %+v, %v; fingerprint %s, want %s kept", change, err, src.Fingerprint(), old)
	}
}

func TestSelfSignedInMailboxStore(t *testing.T) {
	dir := t.TempDir()
	open := func() *mailbox.Store {
		store, err := mailbox.Open(dir, mailbox.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return store
	}
	store := open()
	first, _ := mustOpen(t, Options{Settings: storeSettings{store}})
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	store = open()
	defer store.Close()
	again, change := mustOpen(t, Options{Settings: storeSettings{store}})
	if change.Changed() || again.Fingerprint() != first.Fingerprint() {
		t.Errorf("after reopening the store: change %+v", change)
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"cert without key", Options{CertFile: "c.pem", Settings: newSettings()}, "needs its key file"},
		{"key without cert", Options{KeyFile: "k.pem"}, "needs its key file"},
		{"nowhere to keep", Options{}, "no settings"},
		{"wildcard host", Options{Settings: newSettings(), Hosts: []string{"*.example.org"}}, `TLS host "*.example.org"`},
		{"host with a space", Options{Settings: newSettings(), Hosts: []string{"mail example"}}, `TLS host "mail example"`},
		{"empty host", Options{Settings: newSettings(), Hosts: []string{" "}}, `TLS host " "`},
		{"zone", Options{Settings: newSettings(), Hosts: []string{"fe80::1%eth0"}}, "zone"},
		{"long label", Options{Settings: newSettings(), Hosts: []string{strings.Repeat("a", 64) + ".org"}}, "TLS host"},
	} {
		if _, _, err := Open(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Open = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

func TestCommonNameFits(t *testing.T) {
	if cn := commonName(strings.Repeat("é", 40)); len(cn) > maxCommonName || !strings.HasPrefix(cn, "Yggpost node é") || !utf8.ValidString(cn) {
		t.Errorf("commonName = %q (%d bytes)", cn, len(cn))
	}
	if cn := commonName(""); cn != "Yggpost node" {
		t.Errorf("commonName(\"\") = %q", cn)
	}
}

// storeSettings is the mailbox store as Settings, as the node adapts it.
type storeSettings struct{ *mailbox.Store }

func (s storeSettings) Setting(key string) ([]byte, error) {
	v, err := s.Store.Setting(key)
	if errors.Is(err, mailbox.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", ErrNoSetting, err)
	}
	return v, err
}
