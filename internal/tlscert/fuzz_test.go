package tlscert

import (
	"errors"
	"strings"
	"testing"
)

// FuzzStoredSetting feeds arbitrary bytes to Open as the stored
// self-signed certificate: it must serve them or report them damaged,
// never panic, and never overwrite them unasked.
func FuzzStoredSetting(f *testing.F) {
	good, err := makeSelfSigned("seed", defaultHosts, t0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-40])
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte{})
	c := newClock()
	f.Fuzz(func(t *testing.T, raw []byte) {
		st := newSettings()
		st.values[SettingSelfSigned] = raw
		src, change, err := Open(Options{Settings: st, Now: c.Now})
		if err != nil {
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), SettingSelfSigned) {
				t.Fatalf("error %q is not ErrDamaged naming the setting", err)
			}
			if st.writes != 0 {
				t.Fatal("a damaged setting was overwritten")
			}
			return
		}
		if src.Fingerprint() == "" || change.New != src.Fingerprint() || src.Leaf() == nil {
			t.Fatalf("Open succeeded without a certificate in service: %+v", change)
		}
	})
}

// FuzzUserFiles feeds arbitrary certificate and key file contents to the
// parser behind the user's files.
func FuzzUserFiles(f *testing.F) {
	good, err := makeSelfSigned("seed", defaultHosts, t0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, good)
	f.Add(good, []byte("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAA==\n-----END EC PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		chain, err := parseChain(certPEM)
		if err != nil {
			return
		}
		key, err := parseKey(keyPEM)
		if err != nil {
			return
		}
		cert, err := pair(chain, key)
		if err != nil {
			return
		}
		if cert.fingerprint != Fingerprint(chain[0]) || len(cert.cert.Certificate) != len(chain) {
			t.Fatal("pair returned a certificate other than the one parsed")
		}
	})
}
