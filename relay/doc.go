// Package relay is the store of a Yggpost relay: it holds sealed envelopes
// for the relay's members while they are offline and hands them over when
// they come back, and, with Options.Forward, holds envelopes its members
// deposit for non-members until the node passes them on (forwarding
// custody). It owns the relay's Badger database: members, invites, the
// members' signed relay records, held envelopes and their bytes. It also
// defines the signed messages of the relay role: registration, custody
// receipt and relay record. It speaks no protocol; the node wires Deposit,
// Pending, Open, Ack, AckAll, Drop, Watch, Publish, RecordOf, Forwarding
// and ForwardKick to its streams.
//
// An envelope held for an address is "for forwarding" exactly while that
// address is not a member: one table holds both kinds, so a recipient that
// registers finds what was held for forwarding to it in its Pending.
//
// A relay never sees plaintext and never learns who sent an envelope: it
// reads only the cleartext outer header (envelope.ReadHeader: recipient and
// envelope id) and stores the sealed bytes as received. The depositor's
// address is used in memory for the rate limit and the forwarding check
// (a forwarding depositor, usually the sender, is a member) and is never
// written.
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
//	"r" + member key (32)             the member's relay record, wire form
//	"u" + address (32)                an Unregister in progress: Open
//	                                  deletes what is still held for the
//	                                  address, then the mark
//
// A blob id is 16 random bytes. Records are a version byte followed by
// fixed-size fields (a relay record: its signed wire form, docs/relay.md);
// decoders reject anything short, long or unknown with ErrCorrupt. Nothing
// else is stored: no sender, no depositor, no content beyond the sealed
// bytes. The "q" records of a recipient do not say whether they were
// deposited for a member or for forwarding.
//
// # Invariants
//
//   - Deposit returns a custody receipt only after the envelope's record
//     has been committed with SyncWrites (fsynced). Chunks of an envelope
//     of one chunk or more are committed first, in their own
//     transactions; the "q" record is committed last. A crash in between
//     leaves chunks without a record, which Open deletes. The chunk
//     mechanism is internal/chunkstore's.
//   - An envelope is deleted only by Ack, AckAll, Drop, Expire or
//     Unregister, and its chunks only after the transaction removing its
//     record committed (those of one transaction together, in one more).
//   - The last transaction of concurrent deposits, and acks and drops of
//     up to 500 envelopes, are group-committed: the first caller takes
//     every such write waiting, applies them in order to one transaction
//     under the mutex below, commits once and answers each
//     (internal/chunkstore's Committer); none is answered before the
//     commit holding it is fsynced. A group holds at most 32 writes and
//     4 MiB of small envelopes. A deposit refused in the transaction (its
//     recipient no longer admitted) or an ack of nothing held fails alone;
//     should one fail after writing, the group's transaction is discarded
//     and each write runs again alone. Usage, counters and watchers change
//     only once the transaction has committed, and a deposit's quota
//     reservation becomes usage at that same moment.
//   - An envelope for a non-member is taken only with Options.Forward and
//     only from a depositor that is a member; both checks run again in the
//     transaction that commits it. Membership changes and index writes are
//     serialised by one mutex, so the in-memory forwarding totals always
//     match the stored membership.
//   - (recipient, id) is unique: a second deposit of the same envelope is
//     answered with a receipt for the one already held.
//   - Every bound has a typed error: per-member bytes and envelopes
//     (ErrQuotaBytes, ErrQuotaCount), bytes and envelopes held for
//     forwarding in total (ErrForwardBytes, ErrForwardCount), relays in a
//     record (ErrBadRecord), envelope size (ErrTooLarge),
//     per-depositor rate (ErrRateLimited), concurrent deposits (ErrBusy),
//     outstanding invites (ErrTooManyInvites), watchers (ErrTooManyWatchers).
//   - Memory does not grow with an envelope's size: bytes move in chunks of
//     256 KiB, at most 16 per transaction.
//
// Registrations, custody receipts and relay records are domain-separated
// ed25519 signatures whose byte-level format is specified in docs/relay.md.
package relay
