package peer

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/yggpost/yggpost/envelope"
)

// RelayService is the relay role behind a Server (docs/protocol.md section
// 10); a nil Server.Relay means the node is no relay. The peer argument is
// always the key the transport authenticated.
type RelayService interface {
	// Admit reports whether an envelope for rcpt from the authenticated
	// peer may be deposited: nil, or an *Error carrying the refusal (any
	// other error is answered 550 5.1.1).
	Admit(peer, rcpt envelope.Address) error
	// Deposit reads exactly size bytes of a sealed envelope for rcpt and
	// returns the custody receipt bytes once the envelope is fsynced.
	// Errors are mapped to replies as for Receiver.Receive; an already
	// held envelope is reported with its receipt and a nil error.
	Deposit(ctx context.Context, peer, rcpt envelope.Address, size int64, r io.Reader) (receipt []byte, err error)
	// Register records peer as a member from its signed registration.
	Register(ctx context.Context, peer envelope.Address, registration []byte) error
	// Publish stores peer's signed relay record.
	Publish(ctx context.Context, peer envelope.Address, record []byte) error
	// Drop deletes the envelopes held for peer with these ids; ids not
	// held are no error.
	Drop(ctx context.Context, peer envelope.Address, ids []envelope.ID) error
	// HandOver runs the turned session: the relay is now the client on
	// conn (it writes the opening space octet, the member answers 220). It
	// returns when the session ends; the Server closes conn afterwards.
	HandOver(ctx context.Context, member envelope.Address, conn net.Conn) error
}

// RecordSource answers RELAYS queries: a node for itself, a relay for its
// members. A Server with a nil RecordSource answers 550 for every address.
type RecordSource interface {
	// Record returns the signed relay record of addr, if known.
	Record(addr envelope.Address) ([]byte, bool)
}

// MaxBlob bounds the decoded argument of REGISTER and RECORD, a relay
// record returned by RELAYS, and a custody receipt.
const MaxBlob = 4096

// MaxDropIDs bounds the envelope ids of one DROP command.
const MaxDropIDs = 100

// maxLongLine bounds the command lines of REGISTER, RECORD and DROP, which
// may exceed maxLine: the verb, one space, the base64 of MaxBlob octets and
// CRLF.
const maxLongLine = len("REGISTER ") + (MaxBlob+2)/3*4 + 2

// longVerbs may send lines up to maxLongLine; all others stay within
// maxLine.
var longVerbs = map[string]bool{"REGISTER": true, "RECORD": true, "DROP": true}

// relayKeyword is the EHLO keyword a relay advertises, with its version.
const relayKeyword = "YGGPOST-RELAY"

// handOverDomain opens the message a member signs to turn a session around.
const handOverDomain = "yggpost relay hand-over v1"

// ChallengeSize is the length of the relay's ATRN challenge.
const ChallengeSize = 32

// HandOverMessage is what a member signs with its key to answer the ATRN
// challenge of relay: the domain string, a zero octet, the relay's key,
// the member's key and the challenge.
func HandOverMessage(relay, member envelope.Address, challenge []byte) []byte {
	b := make([]byte, 0, len(handOverDomain)+1+2*len(relay)+len(challenge))
	b = append(b, handOverDomain...)
	b = append(b, 0)
	b = append(b, relay[:]...)
	b = append(b, member[:]...)
	return append(b, challenge...)
}

// ErrNoRecord is returned by ClientConn.Relays when the server knows no
// relay record for the address.
var ErrNoRecord = errors.New("no relay record")

// ErrNotRelay is returned by the client's relay commands when the server
// does not advertise YGGPOST-RELAY 1.
var ErrNotRelay = errors.New("peer does not advertise YGGPOST-RELAY 1")
