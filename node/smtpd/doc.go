// Package smtpd is the SMTP submission front end of a Yggpost node: the
// user's own mail clients (Thunderbird, Delta Chat, mutt, …) connect to it
// on loopback to send mail.
//
// It owns the submission rules and nothing else; it stores nothing. A
// message is accepted only when
//
//   - the client has authenticated with AUTH PLAIN or AUTH LOGIN
//     (RFC 4954); before that MAIL is refused with 530 5.7.0;
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
// Connections are bounded in number (Options.MaxConnections, refused with
// 421 4.7.0 above it) and in idleness (Options.ReadTimeout and
// Options.WriteTimeout apply to every single read and write, so a slow
// but progressing upload is not cut off).
package smtpd
