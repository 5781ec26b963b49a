package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/relay"
)

// demoReach is how long the relay demo's nodes search for a recipient
// before they hand an envelope to a relay (loopback answers at once).
const demoReach = 3 * time.Second

// runRelayDemo shows a relay at work, on loopback: bob is a member of a
// relay and goes offline; alice sends him a message, which the relay holds
// sealed; bob comes back and collects it; alice's copy in Sent goes from
// $Relayed to $Delivered. It stops by itself.
func runRelayDemo(ctx context.Context, stdout io.Writer, logger *slog.Logger) int {
	dir, err := os.MkdirTemp("", "yggpost-relay-demo-*")
	if err != nil {
		fmt.Fprintf(stdout, "demo: %v\n", err)
		return exitRuntime
	}
	defer os.RemoveAll(dir)
	if err := relayDemo(ctx, dir, stdout, logger); err != nil {
		fmt.Fprintf(stdout, "demo: %v\n", err)
		return exitRuntime
	}
	return exitOK
}

func relayDemo(ctx context.Context, dir string, out io.Writer, logger *slog.Logger) error {
	r, err := startDemoNode(ctx, "relay", dir, node.Config{Relay: &relay.Options{Forward: true}}, logger)
	if err != nil {
		return err
	}
	defer r.stop()
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	say("A relay is running: %s", r.node.Address())
	bobCfg := node.Config{Peers: r.node.MeshListenAddrs(), ReachTimeout: demoReach,
		Relays: []node.RelayRef{{Address: r.node.Address()}}}
	bob, err := startDemoNode(ctx, "bob", dir, bobCfg, logger)
	if err != nil {
		return err
	}
	defer bob.stop()
	bobAddr := bob.node.Address()
	if err := waitUntil(ctx, "bob to join the relay", func() bool { st, _ := r.node.RelayStatus(); return st.Members == 1 }); err != nil {
		return err
	}
	say("bob (%s) is a member of it, and goes offline.", bobAddr)
	bob.stop()

	aliceCfg := bobCfg // alice uses the same community relay
	alice, err := startDemoNode(ctx, "alice", dir, aliceCfg, logger)
	if err != nil {
		return err
	}
	defer alice.stop()
	say("alice (%s) sends bob a message while he is away...", alice.node.Address())
	if err := demoSendTo(alice, bobAddr, "While you were away", "this waited for you at your relay, sealed."); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	var st relay.Status
	held := func() bool {
		st, _ = r.node.RelayStatus()
		return st.Envelopes == 1 && sentKeyword(alice.node.Store()) == node.KeywordRelayed
	}
	if err := waitUntil(ctx, "the relay to take the message", held); err != nil {
		return err
	}
	say("bob's node did not answer; the relay holds the sealed envelope (%d bytes). It cannot read it and", st.Bytes)
	say("does not know who sent it. alice's copy in Sent is marked %s.", sentKeyword(alice.node.Store()))

	say("bob comes back online...")
	start := time.Now()
	bob, err = startDemoNode(ctx, "bob", dir, bobCfg, logger)
	if err != nil {
		return err
	}
	defer bob.stop()
	if err := waitForMail(ctx, bob.node.Store(), time.Minute); err != nil {
		return err
	}
	say("The message is in bob's INBOX %s after his node started.", time.Since(start).Round(time.Millisecond))
	delivered := func() bool { return sentKeyword(alice.node.Store()) == node.KeywordDelivered }
	if err := waitUntil(ctx, "alice to hear that it was delivered", delivered); err != nil {
		return err
	}
	// The receipt may itself have passed through the relay, which deletes
	// it once alice's node acknowledged it, a moment after she filed it.
	emptied := func() bool { st, _ = r.node.RelayStatus(); return st.Envelopes == 0 }
	if err := waitUntil(ctx, "the relay to delete what it handed over", emptied); err != nil {
		return err
	}
	say("bob's node sent alice a signed delivery receipt: her copy in Sent is now %s. The relay holds %d envelopes.", node.KeywordDelivered, st.Envelopes)
	return nil
}

// sentKeyword returns the outcome keyword of the first message in Sent.
func sentKeyword(store *mailbox.Store) string {
	msgs, err := store.Messages(mailbox.Sent)
	if err != nil || len(msgs) == 0 {
		return "(no copy)"
	}
	for _, k := range []string{node.KeywordDelivered, node.KeywordRelayed, node.KeywordFailed} {
		if slices.Contains(msgs[0].Flags, k) {
			return k
		}
	}
	return "(no outcome yet)"
}

// waitUntil polls cond every 50 ms for up to a minute.
func waitUntil(ctx context.Context, what string, cond func() bool) error {
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
