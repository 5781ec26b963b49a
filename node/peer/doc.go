// Package peer implements the node-to-node delivery protocol: SMTP spoken
// over one stream between two Yggpost (or Yggmail) nodes, plus the YGGPOST
// extension that carries a sealed envelope as one binary BDAT chunk, and
// the relay commands of YGGPOST-RELAY (deposits with custody receipts,
// REGISTER, RECORD, DROP, RELAYS, and ATRN, which turns a session around
// so that a relay hands envelopes over to its member).
// docs/protocol.md is the normative description; this package is its only
// implementation. The relay's store sits behind the RelayService
// interface; this package does not import it.
//
// The package owns the protocol state on one stream and nothing on disk.
// The caller owns the stream and has already authenticated the remote
// ed25519 key (the transport does that); the key is passed in as the peer
// address.
//
// Invariants:
//   - The server answers a BDAT chunk with 250 only after Receiver.Receive
//     has returned nil or ErrDuplicate, that is after the envelope is durably
//     stored. No other path produces that reply. A deposit's BDAT is
//     answered 250 only with the custody receipt RelayService.Deposit
//     returned after storing the envelope.
//   - Replies go out in the order of the commands, from one writer per
//     session, however many envelopes are being stored at once; a client
//     Pipeline reads them in that order and gives each envelope exactly one
//     outcome.
//   - ATRN turns a session around only after the peer has signed the
//     fresh challenge with the key the transport authenticated.
//   - The server never hands the Receiver more than the announced number of
//     bytes, and never leaves unread chunk bytes on the stream: a rejected
//     chunk is read and discarded, or the stream is closed.
//   - Every read and write on the stream has a deadline, and a cancelled
//     context unblocks any pending I/O at once.
package peer
