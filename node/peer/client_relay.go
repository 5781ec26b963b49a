package peer

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/yggpost/yggpost/envelope"
)

// Relay reports whether the peer advertised YGGPOST-RELAY 1: it takes
// deposits, registrations and hand-overs.
func (sc *ClientConn) Relay() bool {
	params, ok := sc.Extension(relayKeyword)
	return ok && hasVersion(params, "1") && sc.Yggpost()
}

// Remote is the address the server named in its EHLO reply; zero if it
// named none. The transport, not this claim, authenticates the server.
func (sc *ClientConn) Remote() envelope.Address { return sc.remote }

// Register sends a signed registration (REGISTER). nil means the relay
// recorded the membership; an *Error is its refusal.
func (sc *ClientConn) Register(ctx context.Context, registration []byte) error {
	return sc.blobCmd(ctx, "REGISTER", registration)
}

// Publish stores the node's signed relay record at the relay (RECORD).
func (sc *ClientConn) Publish(ctx context.Context, record []byte) error {
	return sc.blobCmd(ctx, "RECORD", record)
}

// blobCmd sends "VERB <base64 of b>" and expects 250.
func (sc *ClientConn) blobCmd(ctx context.Context, verb string, b []byte) error {
	if !sc.Relay() {
		return fmt.Errorf("%s: %w", strings.ToLower(verb), ErrNotRelay)
	}
	if len(b) == 0 || len(b) > MaxBlob {
		return fmt.Errorf("%s: argument of %d octets, want 1 to %d", strings.ToLower(verb), len(b), MaxBlob)
	}
	stop := sc.dl.bind(ctx)
	defer stop()
	if _, err := sc.cmd(250, sc.t.Command, verb+" "+base64.StdEncoding.EncodeToString(b)); err != nil {
		return fmt.Errorf("%s: %w", strings.ToLower(verb), err)
	}
	return nil
}

// Drop tells the relay to delete the envelopes with these ids that it
// holds for this node (DROP), in commands of at most MaxDropIDs ids.
func (sc *ClientConn) Drop(ctx context.Context, ids []envelope.ID) error {
	if !sc.Relay() {
		return fmt.Errorf("drop: %w", ErrNotRelay)
	}
	stop := sc.dl.bind(ctx)
	defer stop()
	for len(ids) > 0 {
		n := min(len(ids), MaxDropIDs)
		words := make([]string, n)
		for i, id := range ids[:n] {
			words[i] = id.String()
		}
		if _, err := sc.cmd(250, sc.t.Command, "DROP "+strings.Join(words, " ")); err != nil {
			return fmt.Errorf("drop %d envelopes: %w", n, err)
		}
		ids = ids[n:]
	}
	return nil
}

// Relays asks the server for addr's signed relay record (RELAYS). It
// returns an error wrapping ErrNoRecord when the server knows none.
func (sc *ClientConn) Relays(ctx context.Context, addr envelope.Address) ([]byte, error) {
	stop := sc.dl.bind(ctx)
	defer stop()
	r, err := sc.cmd(250, sc.t.Command, "RELAYS "+addr.String())
	if e, ok := errors.AsType[*Error](err); ok && e.Code == 550 {
		return nil, fmt.Errorf("relays %s: %w (%w)", addr, ErrNoRecord, e)
	}
	if err != nil {
		return nil, fmt.Errorf("relays %s: %w", addr, err)
	}
	rec, err := parseRecordReply(r.Lines)
	if err != nil {
		return nil, fmt.Errorf("relays %s: %w", addr, err)
	}
	return rec, nil
}

// parseRecordReply decodes the base64 record on the lines after the first.
func parseRecordReply(lines []string) ([]byte, error) {
	if len(lines) < 2 {
		return nil, errors.New("reply carries no record")
	}
	rec, err := base64.StdEncoding.DecodeString(strings.Join(lines[1:], ""))
	if err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	if len(rec) == 0 || len(rec) > MaxBlob {
		return nil, fmt.Errorf("record of %d octets, want 1 to %d", len(rec), MaxBlob)
	}
	return rec, nil
}

// Deposit hands one sealed envelope for a member of the relay to the relay,
// like Send, and returns the custody receipt from the 250 reply. Results
// are as for Send; a 250 without a receipt is an error (the relay is not
// speaking YGGPOST-RELAY), and the envelope must be kept.
func (sc *ClientConn) Deposit(ctx context.Context, rcpt envelope.Address, size int64, sealed io.Reader) ([]byte, error) {
	if !sc.Relay() {
		return nil, fmt.Errorf("deposit: %w", ErrNotRelay)
	}
	r, err := sc.transact(ctx, rcpt, size, sealed)
	if err != nil {
		return nil, fmt.Errorf("deposit: %w", err)
	}
	receipt, err := parseCustody(r.Lines[0])
	if err != nil {
		return nil, fmt.Errorf("deposit: %w", err)
	}
	return receipt, nil
}

// Noop sends NOOP, to keep an idle session alive or to probe it.
func (sc *ClientConn) Noop(ctx context.Context) error {
	stop := sc.dl.bind(ctx)
	defer stop()
	if _, err := sc.cmd(250, sc.t.Command, "NOOP"); err != nil {
		return fmt.Errorf("noop: %w", err)
	}
	return nil
}

// TurnAround asks the relay to turn the session around (ATRN), proving
// with key that this node is the member. On success the returned conn is
// the same stream, now with this node as server: the caller runs
// Server.ServeConn on it with the relay's address as peer. The ClientConn
// must not be used afterwards. A refusal (*Error) leaves the session usable.
func (sc *ClientConn) TurnAround(ctx context.Context, key ed25519.PrivateKey) (net.Conn, error) {
	if !sc.Relay() {
		return nil, fmt.Errorf("turn around: %w", ErrNotRelay)
	}
	if sc.remote.IsZero() {
		return nil, errors.New("turn around: the relay did not name its address in EHLO")
	}
	if len(key) != ed25519.PrivateKeySize || !key.Public().(ed25519.PublicKey).Equal(sc.local.Key()) {
		return nil, fmt.Errorf("turn around: the key is not the key of %s", sc.local)
	}
	stop := sc.dl.bind(ctx)
	defer stop()
	if err := sc.answerChallenge(key); err != nil {
		return nil, fmt.Errorf("turn around: %w", err)
	}
	if err := sc.dl.clear(); err != nil {
		return nil, fmt.Errorf("turn around: %w", err)
	}
	return &turnedConn{Conn: sc.conn, br: sc.br}, nil
}

// answerChallenge sends ATRN, signs the challenge and waits for the 250.
func (sc *ClientConn) answerChallenge(key ed25519.PrivateKey) error {
	r, err := sc.cmd(334, sc.t.Command, "ATRN")
	if err != nil {
		return err
	}
	challenge, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.Lines[0]))
	if err != nil || len(challenge) != ChallengeSize {
		sc.cancelChallenge()
		return fmt.Errorf("malformed challenge %q", truncate(r.Lines[0]))
	}
	sig := ed25519.Sign(key, HandOverMessage(sc.remote, sc.local, challenge))
	_, err = sc.cmd(250, sc.t.Command, base64.StdEncoding.EncodeToString(sig))
	return err
}

// cancelChallenge answers a challenge it cannot sign with "*".
func (sc *ClientConn) cancelChallenge() {
	_, _ = sc.cmd(501, sc.t.Command, "*") // a broken session shows up on the next command
}
