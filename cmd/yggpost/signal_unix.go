//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// hangupSignal delivers SIGHUP, on which a running node reads its TLS
// certificate files again; stop ends the delivery.
func hangupSignal() (sig <-chan os.Signal, stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	return c, func() { signal.Stop(c) }
}

// statusSignal delivers SIGUSR1, on which a running relay prints its
// status; stop ends the delivery.
func statusSignal() (sig <-chan os.Signal, stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	return c, func() { signal.Stop(c) }
}
