package smtpd

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
)

// TLS comes in two ways, both over the same limitListener and timeoutConn
// as plaintext, so that the connection limit, the timeouts of every read
// and write and the shutdown of idle connections hold alike:
//
//	STARTTLS (Serve):  go-smtp → *tls.Conn (made by go-smtp) → timeoutConn → TCP
//	implicit (ServeTLS): go-smtp → *tls.Conn (made by limitListener) → timeoutConn → TCP
//
// go-smtp sees a *tls.Conn in both cases, which is what its
// TLSConnectionState and its EHLO (no STARTTLS once TLS runs) look at.

// tlsConfig returns the configuration go-smtp's STARTTLS and ServeTLS
// use: a copy of cfg that tells the timeoutConn under each handshake that
// TLS has begun, so that it no longer writes to the client raw. nil for
// nil.
func tlsConfig(cfg *tls.Config) *tls.Config {
	if cfg == nil {
		return nil
	}
	c := cfg.Clone()
	next := cfg.GetConfigForClient
	c.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if tc, ok := hello.Conn.(*timeoutConn); ok {
			tc.beginTLS()
		}
		if next != nil {
			return next(hello)
		}
		return nil, nil // go on with c
	}
	return c
}

// checkTLSConfig refuses a TLS configuration that cannot complete a
// single handshake, one without any source of a certificate, so that the
// mistake shows when the node starts, not at each client.
func checkTLSConfig(cfg *tls.Config) error {
	if cfg != nil && len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return errors.New("no certificate in Options.TLSConfig (Certificates, GetCertificate or GetConfigForClient)")
	}
	return nil
}

// layers returns the timeoutConn under c (nil if there is none) and, when
// c runs TLS, c as the *tls.Conn it is: go-smtp's Conn() after STARTTLS
// or on a ServeTLS listener.
func layers(c net.Conn) (*timeoutConn, *tls.Conn) {
	secure, _ := c.(*tls.Conn)
	if secure != nil {
		c = secure.NetConn()
	}
	tc, _ := c.(*timeoutConn)
	return tc, secure
}

// logTLS notes the start of a TLS session, once per connection.
func logTLS(log *slog.Logger, st tls.ConnectionState) {
	log.Debug("smtp tls session started", "version", tls.VersionName(st.Version),
		"cipher", tls.CipherSuiteName(st.CipherSuite), "server_name", st.ServerName)
}
