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

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
)

// demoNode is one of the two nodes the demo runs.
type demoNode struct {
	name     string
	node     *node.Node
	password string
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

	alice, err := startDemoNode(ctx, "alice", dir, nil, logger)
	if err != nil {
		fmt.Fprintf(stdout, "demo: %v\n", err)
		return exitRuntime
	}
	defer alice.stop(cancel)
	bob, err := startDemoNode(ctx, "bob", dir, alice.node.MeshListenAddrs(), logger)
	if err != nil {
		fmt.Fprintf(stdout, "demo: %v\n", err)
		return exitRuntime
	}
	defer bob.stop(cancel)

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

func startDemoNode(ctx context.Context, name, dir string, peers []string, logger *slog.Logger) (*demoNode, error) {
	cfg := node.Config{
		Database: dir + "/" + name,
		SMTPAddr: "127.0.0.1:0",
		IMAPAddr: "127.0.0.1:0",
		Peers:    peers,
		Logger:   logger.With("node", name),
	}
	if peers == nil {
		cfg.Listen = []string{"tcp://127.0.0.1:0"}
	}
	n, err := node.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	secret := make([]byte, 9)
	rand.Read(secret)
	d := &demoNode{name: name, node: n, password: hex.EncodeToString(secret), done: make(chan error, 1)}
	if err := n.SetPassword(d.password); err != nil {
		n.Close()
		return nil, fmt.Errorf("set password of %s: %w", name, err)
	}
	go func() { d.done <- n.Run(ctx) }()
	select {
	case <-n.Ready():
		return d, nil
	case err := <-d.done:
		n.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
}

func (d *demoNode) stop(cancel context.CancelFunc) {
	cancel()
	<-d.done
	d.node.Close()
}

func demoSend(from, to *demoNode) error {
	c, err := smtp.Dial(from.node.SMTPAddr())
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", from.node.Address().String(), from.password)); err != nil {
		return err
	}
	msg := fmt.Sprintf("From: alice <%s>\r\nTo: bob <%s>\r\nSubject: Hello over the mesh\r\nDate: %s\r\n\r\nHi Bob,\r\n\r\nthis message travelled end-to-end encrypted over Yggdrasil.\r\n",
		from.node.Address(), to.node.Address(), time.Now().Format(time.RFC1123Z))
	if err := c.SendMail(from.node.Address().String(), []string{to.node.Address().String()}, bytes.NewReader([]byte(msg))); err != nil {
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
