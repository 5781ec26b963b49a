//go:build !unix

package main

import "os"

// hangupSignal: systems without SIGHUP reload the certificate only on the
// node's daily check.
func hangupSignal() (sig <-chan os.Signal, stop func()) { return nil, func() {} }

// statusSignal: systems without SIGUSR1 have no signal for the status
// table; the periodic log line remains.
func statusSignal() (sig <-chan os.Signal, stop func()) { return nil, func() {} }
