package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The relay demo runs on its own from start to end and tells the story it
// promises: held while bob is away, collected when he is back, confirmed.
func TestRelayDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := relayDemo(ctx, t.TempDir(), &out, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("relay demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"the relay holds the sealed envelope",
		"marked $Relayed",
		"The message is in bob's INBOX",
		"now $Delivered. The relay holds 0 envelopes.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
