package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/control"
	"github.com/yggpost/yggpost/node/mailfile"
	"github.com/yggpost/yggpost/node/metrics"
	"github.com/yggpost/yggpost/relay"
)

// ErrNotRunning is returned by the calls that need a running node before
// Ready is closed or once Run is shutting down.
var ErrNotRunning = errors.New("the node is not running")

// whileRunning runs fn with the parts of a running node, which stay up
// until fn returns; it returns ErrNotRunning instead when there are none.
func (n *Node) whileRunning(fn func() error) error {
	n.life.RLock()
	defer n.life.RUnlock()
	if !n.running() || n.stopping {
		return ErrNotRunning
	}
	return fn()
}

// SetPeers replaces the node's Yggdrasil peers while it runs; the mail
// clients' IMAP and SMTP sessions and every stream stay up. A malformed
// URL changes nothing. (Config.Peers holds the peers it started with.)
func (n *Node) SetPeers(peers []string) error {
	return n.whileRunning(func() error {
		if err := n.mesh.SetPeers(peers); err != nil {
			return fmt.Errorf("-peer: %w", err)
		}
		n.log.Info("peers replaced", "peers", peers)
		return nil
	})
}

// SetRelays replaces the user's relays while the node runs: sessions with
// relays no longer named end, new ones open at once, and the node's relay
// record names the new list from the next envelope on. The list is checked
// as -relays is.
func (n *Node) SetRelays(relays []RelayRef) error {
	check := Config{Relays: relays}
	if err := check.validateRelays(); err != nil {
		return err
	}
	if err := notSelf(relays, n.addr); err != nil {
		return err
	}
	return n.whileRunning(func() error {
		if err := n.members.SetRelays(relays); err != nil {
			return err
		}
		n.log.Info("relays replaced", "relays", len(relays))
		return nil
	})
}

// NetworkChanged tells the node that the device's network changed (Wi-Fi
// to mobile data, a laptop waking up): it redials its peers now and at once
// retries everything that waits for another node — queued mail, relay
// sessions (so mail a relay holds comes in), forwarding and greetings.
func (n *Node) NetworkChanged() error {
	return n.whileRunning(func() error {
		n.log.Info("network changed: redialling peers, retrying now")
		n.mesh.RetryPeers()
		n.events.everythingMayBeReachable()
		return nil
	})
}

// Status is a running node's state at one moment.
type Status struct {
	Address      string        `json:"address"`
	Started      time.Time     `json:"started"` // when Run became ready
	Peers        []PeerState   `json:"peers"`
	Relays       []string      `json:"relays"`        // the user's relays
	RelayStates  []RelayState  `json:"relay_states"`  // the same, with their sessions
	RelaysOpen   int           `json:"relays_open"`   // of those, sessions open now
	Queued       int           `json:"queued"`        // messages waiting for a recipient
	InCustody    int           `json:"in_custody"`    // of those, held by a relay
	Notified     int           `json:"notified"`      // of those, the sender was told of the delay
	OldestQueued time.Time     `json:"oldest_queued"` // zero if none
	IMAPSessions int           `json:"imap_sessions"` // mail clients connected now
	SMTPSessions int           `json:"smtp_sessions"`
	Relay        *relay.Status `json:"relay,omitempty"` // the relay role's figures, on a relay
}

// RelayState is one of the user's relays and whether a session is open.
type RelayState struct {
	Address string `json:"address"`
	Open    bool   `json:"open"`
}

// PeerState is one peering link.
type PeerState struct {
	URI     string        `json:"uri"`
	Up      bool          `json:"up"`
	Inbound bool          `json:"inbound"`
	Latency time.Duration `json:"latency_ns"`
	Error   string        `json:"error,omitempty"`
}

// Status reports the peers, relay sessions and outbox of a running node.
func (n *Node) Status() (Status, error) {
	st := Status{Address: n.addr.String()}
	err := n.whileRunning(func() error {
		st.Started = n.started
		st.IMAPSessions, st.SMTPSessions = n.metrics.Sessions(metrics.IMAP), n.metrics.Sessions(metrics.SMTP)
		for _, p := range n.mesh.Peers() {
			st.Peers = append(st.Peers, PeerState{URI: p.URI, Up: p.Up, Inbound: p.Inbound, Latency: p.Latency, Error: p.LastError})
		}
		st.Relays = addressStrings(n.members.Relays())
		for _, r := range n.members.States() {
			st.RelayStates = append(st.RelayStates, RelayState{Address: r.Address.String(), Open: r.Open})
		}
		st.RelaysOpen = n.members.Open()
		if n.role != nil {
			rs := n.role.Status()
			st.Relay = &rs
		}
		rows, err := n.store.Outbox()
		if err != nil {
			return fmt.Errorf("read the outbox: %w", err)
		}
		for _, row := range rows {
			st.Queued++
			if !row.Custody.IsZero() {
				st.InCustody++
			}
			if row.Notified {
				st.Notified++
			}
			if st.OldestQueued.IsZero() || row.Created.Before(st.OldestQueued) {
				st.OldestQueued = row.Created
			}
		}
		return nil
	})
	return st, err
}

// QueueEntry is one message waiting in the outbox for one recipient.
type QueueEntry struct {
	Recipient   string    `json:"recipient"`
	MessageID   string    `json:"message_id,omitempty"`
	Size        int64     `json:"size"`
	Queued      time.Time `json:"queued"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	// Custody, when set, is until when a relay holds the message; the
	// node then waits for the recipient's receipt instead of retrying.
	Custody    time.Time `json:"custody_until,omitempty"`
	Custodians string    `json:"custodians,omitempty"`
	Notified   bool      `json:"notified"` // the sender was told of the delay
}

// Queue lists the outbox, oldest first.
func (n *Node) Queue() ([]QueueEntry, error) {
	rows, err := n.store.Outbox()
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	out := make([]QueueEntry, len(rows))
	for i, r := range rows {
		out[i] = QueueEntry{
			Recipient: r.Recipient.String(), MessageID: r.MessageID, Size: r.Size, Queued: r.Created,
			Attempts: r.Attempts, NextAttempt: r.NextAttempt, LastError: r.LastError,
			Custody: r.Custody, Custodians: r.Custodians, Notified: r.Notified,
		}
	}
	slices.SortStableFunc(out, func(a, b QueueEntry) int { return a.Queued.Compare(b.Queued) })
	return out, nil
}

// ErrNothingQueued is Retry's answer for a recipient with nothing queued.
var ErrNothingQueued = errors.New("nothing is queued for that recipient")

// Retry makes the queue try the mail waiting for rcpt now instead of at
// its next attempt.
func (n *Node) Retry(rcpt envelope.Address) error {
	rows, err := n.store.Outbox()
	if err != nil {
		return fmt.Errorf("read the outbox: %w", err)
	}
	if !slices.ContainsFunc(rows, func(r mailbox.Outbound) bool { return r.Recipient == rcpt }) {
		return fmt.Errorf("%s: %w", rcpt, ErrNothingQueued)
	}
	return n.whileRunning(func() error {
		n.queue.Retry(rcpt)
		n.log.Info("retry asked for", "to", rcpt.String())
		return nil
	})
}

// SetRelayLimits changes a running relay's membership policy, allowlist,
// quotas, retention and largest envelope (relay.Relay.SetLimits); what it
// holds stays.
func (n *Node) SetRelayLimits(o relay.Options) error {
	role := n.runningRole()
	if role == nil {
		return ErrNotRelay
	}
	return role.SetLimits(o)
}

// ErrNotRelay is RelayMembers' answer on a node without the relay role.
var ErrNotRelay = errors.New("this node is not running as a relay")

// RelayMembers lists a running relay's members with what it holds for
// each.
func (n *Node) RelayMembers() ([]relay.MemberUsage, error) {
	role := n.runningRole()
	if role == nil {
		return nil, ErrNotRelay
	}
	return role.Members()
}

func addressStrings(as []envelope.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// buildControl opens the control socket, if the node serves one, with its
// commands. Each answers JSON, but backup, whose output is the backup file.
//
//	backup          the backup file of the node's databases (Backup)
//	address         the node's mail address, one line
//	status          Status
//	queue           Queue
//	retry           Retry of args["recipient"]
//	relay-members   RelayMembers
//	relay-invites   NewRelayInvites of args["count"], on a running relay
//	fingerprint     the TLS certificate's SHA-256 fingerprint, one line
//	password-hash   SetPasswordHash of args["hash"]
//	check-password  CheckPassword of args["password"] (PasswordCheck)
//	certificate     the TLS certificate in PEM
//	mailfile        an export or import of Maildir or mbox (mailFile)
//	reload          Config.Reload: the owner reads its configuration again
func (n *Node) buildControl() error {
	if !n.cfg.Control {
		return nil
	}
	ctl, err := control.Listen(control.SocketPath(n.cfg.Database), n.log.With("component", "control"))
	if err != nil {
		// The node's mail goes on without it; only the commands that ask
		// a running node go without (a unix socket's path is limited to
		// about 100 bytes, for one).
		n.log.Warn("no control socket: yggpost status and the other commands cannot reach this node", "err", err)
		return nil
	}
	ctl.WaitFor(n.ready) // the socket serves before Run has finished starting
	ctl.Handle("backup", func(_ context.Context, _ map[string]string, w io.Writer) error {
		return n.Backup(w)
	})
	ctl.Handle("address", func(_ context.Context, _ map[string]string, w io.Writer) error {
		_, err := fmt.Fprintln(w, n.addr.String())
		return err
	})
	handleJSON(ctl, "status", func(map[string]string) (any, error) { return n.Status() })
	handleJSON(ctl, "queue", func(map[string]string) (any, error) { return n.Queue() })
	handleJSON(ctl, "relay-members", func(map[string]string) (any, error) { return n.RelayMembers() })
	handleJSON(ctl, "retry", func(args map[string]string) (any, error) {
		rcpt, err := envelope.ParseAddress(args["recipient"])
		if err != nil {
			return nil, fmt.Errorf("retry: %w", err)
		}
		return map[string]string{"retrying": rcpt.String()}, n.Retry(rcpt)
	})
	handleJSON(ctl, "relay-invites", func(args map[string]string) (any, error) {
		count, err := strconv.Atoi(args["count"])
		if err != nil || count < 1 {
			return nil, fmt.Errorf("relay-invites: count %q: want a positive number", args["count"])
		}
		if n.runningRole() == nil {
			return nil, ErrNotRelay
		}
		return n.NewRelayInvites(count)
	})
	ctl.Handle("fingerprint", func(_ context.Context, _ map[string]string, w io.Writer) error {
		_, err := fmt.Fprintln(w, n.TLSFingerprint())
		return err
	})
	handleJSON(ctl, "check-password", func(args map[string]string) (any, error) {
		switch err := n.CheckPassword(args["password"]); {
		case err == nil:
			return PasswordCheck{Result: "ok"}, nil
		case errors.Is(err, ErrBadLogin):
			return PasswordCheck{Result: "wrong"}, nil
		case errors.Is(err, ErrNoPassword):
			return PasswordCheck{Result: "none"}, nil
		default:
			return nil, err
		}
	})
	handleJSON(ctl, "certificate", func(map[string]string) (any, error) {
		return map[string]string{"pem": string(n.TLSCertificatePEM())}, nil
	})
	handleJSON(ctl, "password-hash", func(args map[string]string) (any, error) {
		return map[string]bool{"stored": true}, n.SetPasswordHash(args["hash"])
	})
	ctl.Handle("mailfile", func(ctx context.Context, args map[string]string, w io.Writer) error {
		rep, err := n.mailFile(ctx, args)
		if err != nil && rep.Messages == 0 && len(rep.Notes) == 0 {
			return err
		}
		return json.NewEncoder(w).Encode(mailFileAnswer{Report: rep, Error: errorText(err)})
	})
	handleJSON(ctl, "reload", func(map[string]string) (any, error) {
		if n.cfg.Reload == nil {
			return nil, errors.New("this node has no configuration to read again")
		}
		return map[string]bool{"reloaded": true}, n.cfg.Reload()
	})
	n.ctl = ctl
	return nil
}

// PasswordCheck is the answer of "check-password": ok, wrong, or none
// (no password set).
type PasswordCheck struct {
	Result string `json:"result"`
}

// mailFileAnswer is the answer of "mailfile": what was done, and the error
// that stopped it, if one did after part of the work.
type mailFileAnswer struct {
	Report mailfile.Report `json:"report"`
	Error  string          `json:"error,omitempty"`
}

// mailFile runs an export or import of mail files (node/mailfile) on the
// running node's store: args["op"] is export, import-maildir or
// import-mbox, args["path"] the directory or file, args["into"] the
// mailbox an import fills.
func (n *Node) mailFile(ctx context.Context, args map[string]string) (mailfile.Report, error) {
	switch args["op"] {
	case "export":
		return mailfile.Export(ctx, n.store, args["path"])
	case "import-maildir":
		return mailfile.ImportMaildir(ctx, n.store, args["path"], args["into"])
	case "import-mbox":
		return mailfile.ImportMbox(ctx, n.store, args["path"], args["into"])
	}
	return mailfile.Report{}, fmt.Errorf("mailfile: unknown operation %q", args["op"])
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// handleJSON registers a command whose answer is a value as JSON.
func handleJSON(ctl *control.Server, command string, answer func(args map[string]string) (any, error)) {
	ctl.Handle(command, func(_ context.Context, args map[string]string, w io.Writer) error {
		v, err := answer(args)
		if err != nil {
			return err
		}
		return json.NewEncoder(w).Encode(v)
	})
}
