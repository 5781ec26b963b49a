//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// statusSignal delivers SIGUSR1, on which a running relay prints its
// status; stop ends the delivery.
func statusSignal() (sig <-chan os.Signal, stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	return c, func() { signal.Stop(c) }
}
