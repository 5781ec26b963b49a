// Package smtpd is the SMTP submission front end of a Yggpost node: the
// user's own mail clients (Thunderbird, Delta Chat, mutt, …) connect to it
// to send mail, on loopback or, over TLS, from the user's other machines.
//
// It serves TLS when Options.TLSConfig is set: Serve offers STARTTLS
// (RFC 3207), ServeTLS runs TLS from the first byte (the submissions
// port, RFC 8314). Whether a client may send its password is
// Options.Policy's decision (clientsec.Policy), made per connection: over
// TLS always, without TLS from loopback, and from other machines only
// with Policy.AllowPlain. Where it may not, EHLO offers no AUTH and AUTH
// is answered 530 5.7.0 "Must issue a STARTTLS command first" (RFC 3207
// §4). Commands a client sent after STARTTLS, before the handshake, are
// dropped (go-smtp reads on from the new TLS stream), so nothing sent in
// the clear runs inside TLS. A failed handshake leaves the connection in
// plaintext, where the rules without TLS still apply.
//
// It owns the submission rules and nothing else; it stores nothing. A
// message is accepted only when
//
//   - the client has authenticated with AUTH PLAIN or AUTH LOGIN
//     (RFC 4954) where the policy above allows it; before that MAIL is
//     refused with 530 5.7.0;
//   - MAIL FROM is the node's own address (RFC 5321 §4.1.1.2); the null
//     sender is refused, because nothing on this port is a bounce;
//   - every RCPT TO is a <64 hex>@yggmail address whose key is an
//     ed25519 public key (550 5.1.1 otherwise)
//     and there are at most Options.MaxRecipients of them (452 4.5.3);
//   - the message's From: header names the node's own address, exactly
//     one mailbox (RFC 5322 §3.6.2), checked on the header block before
//     the body is read and by the rules the recipient's node applies
//     (node/mailheader.From); a missing From: or a header line that is
//     not a field is 550 5.6.0, another address 550 5.7.1; a header
//     block over Options.MaxHeaderSize is 552 5.3.4;
//   - the message is at most Options.MaxMessageSize bytes (552 5.3.4),
//     both as announced with SIZE= (RFC 1870) and as actually sent, by
//     DATA or by BDAT (RFC 3030). (go-smtp v0.25.1 refuses a DATA
//     transfer of exactly the limit: its reader runs out of allowance
//     before the end marker. BDAT takes it.)
//
// Too many recipients is 452 4.5.3, not a 5xx: RFC 5321 §4.5.3.1.10
// requires 452, and a client then sends to the recipients accepted so
// far and the rest in a new transaction.
//
// The accepted message is handed to the Submitter exactly as received
// (after dot-unstuffing), once, with the deduplicated recipients, with
// one exception: a message without a Message-ID gets one,
// "<random@yggmail>", as its last header field (RFC 6409 §8.3), so that
// every copy of it carries the same id. Bcc fields are passed on
// untouched; removing them from the copies that leave is the
// Submitter's job, since the sender's own copy keeps them. The
// 250 reply is sent only after Submit returned nil, that is after the
// message is durably queued; any failure is reported to the client, so a
// message is either acknowledged and stored or not acknowledged at all.
//
// Connections are bounded in number (Options.MaxConnections over all
// listeners, refused with 421 4.7.0 above it, or closed unanswered on a
// ServeTLS listener) and in idleness (Options.ReadTimeout and
// Options.WriteTimeout apply to every single read and write, so a slow
// but progressing upload is not cut off; with TLS, to the records under
// it, the handshake included). Shutdown ends idle connections with 421
// 4.3.2, through TLS where it runs, and lets a message in transfer finish.
package smtpd
