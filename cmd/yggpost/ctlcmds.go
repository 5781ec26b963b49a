package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/control"
	"github.com/yggpost/yggpost/relay"
)

// controlCommands are the subcommands that ask the node running on
// -database through its control socket; -json after the command prints the
// node's answer as it is, for scripts.
var controlCommands = map[string]bool{"status": true, "queue": true, "retry": true, "relay": true, "reload": true}

// runControlCommand runs one of controlCommands.
func runControlCommand(database string, args []string, stdout, stderr io.Writer) int {
	asJSON := slices.Contains(args, "-json") || slices.Contains(args, "--json")
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == "-json" || a == "--json" })
	req, show, err := controlRequest(args)
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: %v\n", err)
		return exitUsage
	}
	out, err := control.Call(database, req)
	if errors.Is(err, control.ErrNotRunning) {
		fmt.Fprintf(stderr, "yggpost: %s: %v (%s)\n", args[0], err, database)
		return exitStore
	}
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: %v\n", err)
		return exitStore
	}
	defer out.Close()
	answer, err := io.ReadAll(out)
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: %s: %v\n", args[0], err)
		return exitStore
	}
	if asJSON {
		stdout.Write(answer)
		return exitOK
	}
	if err := show(stdout, answer); err != nil {
		fmt.Fprintf(stderr, "yggpost: %s: %v\n", args[0], err)
		return exitStore
	}
	return exitOK
}

// controlRequest turns a subcommand into its request and the function that
// shows the answer to a person.
func controlRequest(args []string) (control.Request, func(io.Writer, []byte) error, error) {
	switch {
	case args[0] == "status" && len(args) == 1:
		return control.Request{Command: "status"}, showAs(writeStatus), nil
	case args[0] == "queue" && len(args) == 1:
		return control.Request{Command: "queue"}, showAs(writeQueue), nil
	case args[0] == "retry" && len(args) == 2:
		return control.Request{Command: "retry", Args: map[string]string{"recipient": args[1]}}, func(w io.Writer, _ []byte) error {
			_, err := fmt.Fprintf(w, "retrying the mail queued for %s now\n", args[1])
			return err
		}, nil
	case args[0] == "relay" && len(args) == 2 && args[1] == "members":
		return control.Request{Command: "relay-members"}, showAs(writeMembers), nil
	case args[0] == "reload" && len(args) == 1:
		return control.Request{Command: "reload"}, func(w io.Writer, _ []byte) error {
			_, err := fmt.Fprintln(w, "configuration read again")
			return err
		}, nil
	}
	return control.Request{}, nil, fmt.Errorf("usage: yggpost -database DIR status | queue | retry ADDRESS | relay members | reload [-json]")
}

// showAs decodes a JSON answer into T and writes it with write.
func showAs[T any](write func(io.Writer, T) error) func(io.Writer, []byte) error {
	return func(w io.Writer, answer []byte) error {
		var v T
		if err := json.Unmarshal(answer, &v); err != nil {
			return fmt.Errorf("unreadable answer from the node: %w", err)
		}
		return write(w, v)
	}
}

func writeStatus(w io.Writer, st node.Status) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "address\t%s\n", st.Address)
	fmt.Fprintf(tw, "up\t%s\tsince %s\n", ago(st.Started), st.Started.UTC().Format(time.RFC3339))
	up := 0
	for _, p := range st.Peers {
		if p.Up {
			up++
		}
	}
	fmt.Fprintf(tw, "peers\t%d of %d up\n", up, len(st.Peers))
	for _, p := range st.Peers {
		fmt.Fprintf(tw, "  %s\t%s\n", p.URI, peerState(p))
	}
	fmt.Fprintf(tw, "relays\t%d of %d with a session open\n", st.RelaysOpen, len(st.RelayStates))
	for _, r := range st.RelayStates {
		fmt.Fprintf(tw, "  %s\t%s\n", r.Address, map[bool]string{true: "open", false: "no session"}[r.Open])
	}
	fmt.Fprintf(tw, "queue\t%d\twaiting for their recipients: %d held by a relay, %d with the sender told of the delay%s\n",
		st.Queued, st.InCustody, st.Notified, oldest(st.OldestQueued))
	fmt.Fprintf(tw, "mail clients\t%d IMAP, %d SMTP connections\n", st.IMAPSessions, st.SMTPSessions)
	if st.Relay != nil {
		r := st.Relay
		fmt.Fprintf(tw, "relay role\t%d members\t%d envelopes held (%s); since start: %d deposits, %d hand-overs, %d refused, %d expired\n",
			r.Members, r.Envelopes, humanBytes(r.Bytes), r.Deposits, r.HandOvers, r.Refused, r.Expired)
	}
	return tw.Flush()
}

func peerState(p node.PeerState) string {
	switch {
	case p.Up:
		return fmt.Sprintf("up, %s", p.Latency.Round(time.Millisecond))
	case p.Error != "":
		return "down: " + p.Error
	}
	return "down"
}

func oldest(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return "; the oldest for " + ago(t)
}

// ago says how long ago t was, to the second.
func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return time.Since(t).Round(time.Second).String()
}

func writeQueue(w io.Writer, q []node.QueueEntry) error {
	if len(q) == 0 {
		_, err := fmt.Fprintln(w, "the queue is empty")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECIPIENT\tQUEUED FOR\tATTEMPTS\tNEXT\tSTATE\tLAST ERROR")
	for _, e := range q {
		state, next := "waiting", "in "+time.Until(e.NextAttempt).Round(time.Second).String()
		if !e.Custody.IsZero() {
			state, next = "held by a relay until "+e.Custody.UTC().Format(time.RFC3339), "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", short(e.Recipient), ago(e.Queued), e.Attempts, next, state, e.LastError)
	}
	return tw.Flush()
}

// short abbreviates an address to its first and last hex digits.
func short(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || len(local) <= 16 {
		return addr
	}
	return local[:8] + "…" + local[len(local)-8:] + "@" + domain
}

func writeMembers(w io.Writer, members []relay.MemberUsage) error {
	if len(members) == 0 {
		_, err := fmt.Fprintln(w, "no members")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tSINCE\tENVELOPES HELD\tBYTES")
	for _, m := range members {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", m.Member, m.Since.UTC().Format("2006-01-02"), m.Envelopes, humanBytes(m.Bytes))
	}
	return tw.Flush()
}
