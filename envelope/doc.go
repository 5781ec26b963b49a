// Package envelope owns Yggpost addresses and the sealed envelope: the
// versioned wire format in which one message travels between nodes and
// through relays.
//
// An Address is an ed25519 public key written as 64 lower-case hex digits
// followed by "@yggmail". Parsing is strict: exactly 32 key bytes, the
// yggmail domain, nothing else.
//
// A sealed envelope is a cleartext outer header (magic, version, recipient,
// envelope ID, ephemeral X25519 key) followed by a stream of
// ChaCha20-Poly1305 chunks. The plaintext of the chunks carries an inner
// header (sender, creation time), in version 2 a sender record (opaque
// bytes, at most MaxRecordSize, e.g. the sender's signed relay record), the
// message bytes, and a trailer with the sender's ed25519 signature. A relay
// can read the outer header and nothing else. The byte-level format is
// specified in docs/envelope.md; this package is its reference
// implementation, pinned by one test vector per version.
//
// Seal writes version 1; SealWith writes version 2 when given a record and
// otherwise exactly what Seal writes. Open reads both versions.
//
// Invariants:
//   - Opened.Read returns io.EOF only after the final chunk arrived and the
//     sender's signature over header, sender, time, record and every message
//     byte verified; until then Sender, Created and Record are claims. Every
//     failure is an error wrapping one of the Err values (or the underlying
//     reader's own error), never io.EOF.
//   - Sealing and opening hold one chunk (64 KiB) in memory whatever the
//     message size.
//   - Seal writes exactly SealedSize(len(body)) bytes, SealWith exactly
//     SealedSizeWith(len(body), len(record)), and the encoding of a message
//     is canonical: a reader rejects any other chunking.
//
// The package uses only the standard library and crypto libraries.
package envelope
