//go:build !unix

package main

import "os"

// statusSignal: systems without SIGUSR1 have no signal for the status
// table; the periodic log line remains.
func statusSignal() (sig <-chan os.Signal, stop func()) { return nil, func() {} }
