package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
)

// demoNode is one of the two nodes the demo runs.
type demoNode struct {
	name     string
	node     *node.Node
	password string
	cancel   context.CancelFunc
	done     chan error
}

// runDemo starts two nodes on loopback in temporary directories, peers them,
// prints how to point a mail client at each, sends a first message from one
// to the other, shows it arriving and runs until ctx ends.
func runDemo(ctx context.Context, stdout io.Writer, logger *slog.Logger) int {
	dir, err := os.MkdirTemp("", "yggpost-demo-*")
	if err != nil {
		fmt.Fprintf(stdout, "demo: %v\n", err)
		return exitRuntime
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	alice, err := startDemoNode(ctx, "alice", dir, node.Config{}, logger)
	if err != nil {
		fmt.Fprintf(stdout, "demo: %v\n", err)
		return exitRuntime
	}
	defer alice.stop()
	bob, err := startDemoNode(ctx, "bob", dir, node.Config{Peers: alice.node.MeshListenAddrs()}, logger)
	if err != nil {
		fmt.Fprintf(stdout, "demo: %v\n", err)
		return exitRuntime
	}
	defer bob.stop()

	fmt.Fprintf(stdout, "\nTwo Yggpost nodes are running on loopback, peered with each other.\n")
	for _, d := range []*demoNode{alice, bob} {
		fmt.Fprintf(stdout, "\n%s\n  address / user name: %s\n  password:            %s\n  IMAP: %s  SMTP: %s  (plain, no TLS; normal password)\n",
			d.name, d.node.Address(), d.password, d.node.IMAPAddr(), d.node.SMTPAddr())
	}
	fmt.Fprintf(stdout, "\nSending a first message from alice to bob...\n")
	start := time.Now()
	if err := demoSend(alice, bob); err != nil {
		fmt.Fprintf(stdout, "demo: send: %v\n", err)
		return exitRuntime
	}
	if err := waitForMail(ctx, bob.node.Store(), 60*time.Second); err != nil {
		fmt.Fprintf(stdout, "demo: %v\n", err)
		return exitRuntime
	}
	fmt.Fprintf(stdout, "It is in bob's INBOX after %s. Point a mail client at the settings above to read it.\n", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "Press Ctrl-C to stop (the demo's databases are deleted).\n")
	<-ctx.Done()
	return exitOK
}

// startDemoNode runs a node named name on loopback with free ports, its
// database in dir; cfg gives its peers, relays and relay role. A node
// without peers listens for peerings.
func startDemoNode(ctx context.Context, name, dir string, cfg node.Config, logger *slog.Logger) (*demoNode, error) {
	cfg.Database = dir + "/" + name
	cfg.SMTPAddr, cfg.IMAPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Logger = logger.With("node", name)
	if cfg.Peers == nil {
		cfg.Listen = []string{"tcp://127.0.0.1:0"}
	}
	n, err := node.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	secret := make([]byte, 9)
	rand.Read(secret)
	ctx, cancel := context.WithCancel(ctx)
	d := &demoNode{name: name, node: n, password: hex.EncodeToString(secret), cancel: cancel, done: make(chan error, 1)}
	if err := n.SetPassword(d.password); err != nil {
		cancel()
		n.Close()
		return nil, fmt.Errorf("set password of %s: %w", name, err)
	}
	go func() { d.done <- n.Run(ctx) }()
	select {
	case <-n.Ready():
		return d, nil
	case err := <-d.done:
		cancel()
		n.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
}

// stop stops the node and closes its database; it is safe to call twice.
func (d *demoNode) stop() {
	if d.cancel == nil {
		return
	}
	d.cancel()
	d.cancel = nil
	<-d.done
	d.node.Close()
}

func demoSend(from, to *demoNode) error {
	return demoSendTo(from, to.node.Address(), "Hello over the mesh",
		"this message travelled end-to-end encrypted over Yggdrasil.")
}

func demoSendTo(from *demoNode, to envelope.Address, subject, text string) error {
	c, err := smtp.Dial(from.node.SMTPAddr())
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", from.node.Address().String(), from.password)); err != nil {
		return err
	}
	msg := fmt.Sprintf("From: alice <%s>\r\nTo: bob <%s>\r\nSubject: %s\r\nDate: %s\r\n\r\nHi Bob,\r\n\r\n%s\r\n",
		from.node.Address(), to, subject, time.Now().Format(time.RFC1123Z), text)
	if err := c.SendMail(from.node.Address().String(), []string{to.String()}, bytes.NewReader([]byte(msg))); err != nil {
		return err
	}
	return c.Quit()
}

// waitForMail waits on the store's change feed until INBOX has a message.
func waitForMail(ctx context.Context, store *mailbox.Store, within time.Duration) error {
	w, err := store.Watch("INBOX")
	if err != nil {
		return fmt.Errorf("watch INBOX: %w", err)
	}
	defer w.Close()
	if st, err := store.Status("INBOX"); err == nil && st.Messages > 0 {
		return nil
	}
	timeout := time.After(within)
	select {
	case <-w.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout:
		return errors.New("the first message did not arrive within a minute")
	}
}
