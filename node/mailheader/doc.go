// Package mailheader owns the reading of a message's header block for the
// whole node: where the block ends, what a field is, how a folded field is
// unfolded, which Message-ID a message has and whom it is from. node
// (receiving, bouncing, the Sent copy), node/smtpd (submission) and
// node/imapd (APPEND, FETCH, SEARCH) all read headers through it, so two of
// them never disagree about the same bytes: the Sent copy's de-duplication
// key, for one, is computed by the submission path and by the IMAP APPEND
// path from the same message and must come out the same.
//
// # Rules
//
// Lines. A line ends at LF. Its line break is that LF and one CR directly
// before it (CRLF, RFC 5322 §2.1); a bare LF is accepted, since clients
// that submit from files write it. A CR that ends the input is taken for
// a line break cut short (a lone CR there is an empty line); any other CR
// is part of the line.
//
// End of the block. The header block is every line up to and including
// the first empty line, a line that is nothing but its line break (RFC
// 5322 §2.1, §3.5). A message without one is all header: its body is
// optional (§3.5).
//
// Fields. A line that starts with SP or HTAB continues the field before it
// (folding, §2.2.3). Any other line is a field if it has a colon and the
// text before the colon, less white space just before it (obs-optional,
// §4.5), is one or more printable US-ASCII characters other than colon
// (ftext, §3.6.8); the name is matched without regard to case (§1.2.2).
// Anything else (a line without a colon, a name with a space or a control
// in it, a continuation with no field before it) is not a field: Values
// skips it and its continuations, and From refuses a block that has one.
//
// Unfolding. A field's value is everything after its colon, through its
// continuation lines, with their line breaks removed and nothing else
// (§2.2.3: "simply removing any CRLF that is immediately followed by
// WSP"). MessageID and Addresses trim white space at both ends.
//
// Message-ID. A message's Message-ID (§3.6.4) is the trimmed value of its
// first Message-ID field that is not empty once trimmed, or "".
//
// From. The From field (§3.6.2) must occur once and name one mailbox,
// and that mailbox must be a node address (envelope.ParseAddress).
//
// # Where the former readers disagreed
//
// Before this package the node had three block readers and four
// Message-ID extractors (on smtpd's own scanner, go-message and net/mail).
// FuzzDifferential (differential_test.go) checks this package against
// frozen copies of them (reference_test.go); these are the differences it
// allows, each chosen:
//
//   - A line of CRs ("\r\r\n") ended the block for the node's reader and
//     net/mail, not for smtpd and imapd. It does not end it here: it is not
//     empty. The block the node checks From in is then the block smtpd
//     checked and IMAP serves as BODY[HEADER]; such a line is not a field,
//     so From refuses the block instead of reading only the part before it.
//     Likewise only one CR of a line break is removed from a value.
//   - An empty first Message-ID field followed by a real one: imapd and
//     net/mail took the empty one, smtpd the real one. The real one is
//     taken: smtpd adds no id to such a submission, so the Sent copy's key
//     must come from the real one on both paths.
//   - Folding: net/mail and go-message replace a fold and the white space
//     around it with one space; here only the line break goes (§2.2.3).
//     The differential test compares their values with runs of white space
//     collapsed. net/mail also kept white space other than SP and HTAB at
//     the ends of the Message-ID that keyed a classic node's message; the
//     id is trimmed here like every other.
//   - White space before a field's colon (obs-optional, "From :") was a
//     different field name for net/mail, so a message smtpd accepted was
//     refused by the recipient's node as having no From. It is accepted.
//   - A line that is not a field: net/mail failed the whole header on a
//     line without a colon but took any text before a colon for a name
//     ("Bad Name: x"), go-message stopped at either, smtpd skipped both.
//     Values and MessageID skip it; From refuses the block (ErrBadHeader),
//     so the node refuses it as it refused most of them before, and smtpd
//     refuses such a submission at once instead of the recipient's node
//     refusing it later.
//   - Two From fields: net/mail read the first, smtpd refused. Refused.
//   - An encoded word in a charset Go does not know, in From's display
//     name: net/mail refused the address, smtpd passed the word through.
//     Passed through: only the address matters.
//   - Bounds: imapd cut a long block at the end of the read buffer that
//     crossed its bound; Read cuts at exactly max bytes. imapd read 64 KiB
//     of an APPENDed message for its Message-ID and used what it found
//     there; it now reads as much as submission accepts (DefaultMax), and
//     a longer block gets no Sent copy key, as submission would have
//     refused the message.
//   - The node's and imapd's readers took a line break that began a new
//     read buffer (after a line of exactly 32 KiB or 4 KiB) for an empty
//     line and ended the block there. That was a fault; it is gone.
package mailheader
