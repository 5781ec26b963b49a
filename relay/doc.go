// Package relay is the store of a Yggpost relay: it holds sealed envelopes
// for the relay's members while they are offline and hands them over when
// they come back. It owns the relay's Badger database: members, invites,
// held envelopes and their bytes. It speaks no protocol; the node wires
// Deposit, Pending, Open, Ack, Drop and Watch to its streams.
//
// A relay never sees plaintext and never learns who sent an envelope: it
// reads only the cleartext outer header (envelope.ReadHeader: recipient and
// envelope id) and stores the sealed bytes as received. The depositor's
// address is used in memory for rate limiting and is never written.
//
// # On-disk key layout
//
// Keys start with a one-byte table tag; integers are big-endian.
//
//	"m" + member key (32)             member record: version, registered at
//	"t" + member key (32)             time of the member's newest accepted
//	                                  registration (kept after Unregister, so
//	                                  an old request cannot be replayed)
//	"i" + SHA-256(token) (32)         outstanding invite: version, created at
//	"q" + recipient (32) + id (16)    held envelope: version, size, received,
//	                                  expires, blob id
//	"c" + blob id (16) + index (4)    one chunk of a held envelope's bytes
//
// A blob id is 16 random bytes. Records are a version byte followed by
// fixed-size fields; decoders reject anything short, long or unknown with
// ErrCorrupt. Nothing else is stored: no sender, no depositor, no content
// beyond the sealed bytes.
//
// # Invariants
//
//   - Deposit returns a custody receipt only after the envelope's record
//     has been committed with SyncWrites (fsynced). Chunks of an envelope
//     of one chunk or more are committed first, in their own
//     transactions; the "q" record is committed last. A crash in between
//     leaves chunks without a record, which Open deletes. The chunk
//     mechanism is internal/chunkstore's.
//   - An envelope is deleted only by Ack, Drop, Expire or Unregister, and
//     its chunks only after the transaction removing its record committed.
//   - (recipient, id) is unique: a second deposit of the same envelope is
//     answered with a receipt for the one already held.
//   - Every bound has a typed error: per-member bytes and envelopes
//     (ErrQuotaBytes, ErrQuotaCount), envelope size (ErrTooLarge),
//     per-depositor rate (ErrRateLimited), concurrent deposits (ErrBusy),
//     outstanding invites (ErrTooManyInvites), watchers (ErrTooManyWatchers).
//   - Memory does not grow with an envelope's size: bytes move in chunks of
//     256 KiB, at most 16 per transaction.
//
// Custody receipts and registrations are domain-separated ed25519
// signatures whose byte-level format is specified in docs/relay.md.
package relay
