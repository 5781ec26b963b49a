package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/relay"
)

// printInvites creates count invite tokens in n's relay store and prints
// them one per line; the hint for the operator goes to stderr.
func printInvites(n *node.Node, count int, stdout, stderr io.Writer) int {
	tokens, err := n.NewRelayInvites(count)
	for _, t := range tokens {
		fmt.Fprintln(stdout, t)
	}
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: -relay-invite: %d of %d created: %v\n", len(tokens), count, err)
		if errors.Is(err, relay.ErrTooManyInvites) {
			return exitRuntime
		}
		return exitStore
	}
	fmt.Fprintf(stderr, "%d invite tokens created, each for one new member, valid %s; a member runs: yggpost -relays %s=<token> ...\n",
		count, formatDays(relay.DefaultInviteLifetime), n.Address())
	return exitOK
}
