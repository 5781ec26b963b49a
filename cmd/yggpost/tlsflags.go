package main

import (
	"flag"

	"github.com/yggpost/yggpost/node"
)

// tlsFlags holds the flags of the TLS listeners and their certificate.
type tlsFlags struct {
	hosts       listFlag
	fingerprint bool
}

func (f *tlsFlags) register(fs *flag.FlagSet, cfg *node.Config) {
	fs.StringVar(&cfg.IMAPSAddr, "imaps", "", "IMAP over TLS listen `address` for mail clients on other devices, e.g. 0.0.0.0:993")
	fs.StringVar(&cfg.SubmissionsAddr, "submissions", "", "SMTP submission over TLS listen `address` for mail clients on other devices, e.g. 0.0.0.0:465")
	fs.StringVar(&cfg.TLSCertFile, "tls-cert", "", "TLS certificate `file` (PEM, with its chain), read again on SIGHUP; default: a self-signed certificate kept in the database")
	fs.StringVar(&cfg.TLSKeyFile, "tls-key", "", "TLS private key `file` (PEM) of -tls-cert")
	fs.Var(&f.hosts, "tls-host", "host `name` or address other devices reach this node by, named in the self-signed certificate (repeatable)")
	fs.BoolVar(&cfg.AllowPlainAuth, "allow-plain-auth", false, "let mail clients on other machines log in without TLS (only on a VPN or a network you trust: the password crosses it readable)")
	fs.BoolVar(&f.fingerprint, "tls-fingerprint", false, "print the SHA-256 fingerprint of the TLS certificate, for pinning in mail clients, and exit")
}

// apply copies what register could not bind directly into cfg.
func (f *tlsFlags) apply(cfg *node.Config) { cfg.TLSHosts = f.hosts }
