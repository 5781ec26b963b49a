// Package mailsort orders and threads messages as the IMAP SORT and THREAD
// commands define them (RFC 5256), with no IMAP wire code of its own apart
// from the text of a THREAD response's thread lists (Format).
//
// It owns the algorithms and nothing else:
//
//   - BaseSubject: the base subject extraction of RFC 5256 §2.1, steps
//     (1)-(7), with the ABNF of §5 (subj-leader, subj-blob, subj-trailer,
//     subj-fwd), compared case-insensitively (see BaseSubject for how).
//   - Sort: the SORT keys of RFC 5256 §3 (ARRIVAL, CC, DATE, FROM, SIZE,
//     SUBJECT, TO, each optionally REVERSE), with the sent date of §2.2
//     and sequence order as the final tie-breaker.
//   - OrderedSubject and References: the THREAD algorithms ORDEREDSUBJECT
//     and REFERENCES of RFC 5256 §3, the latter in its six steps (link by
//     References and In-Reply-To, root set, prune dummies, gather by base
//     subject, sort siblings by sent date).
//   - Thread and Format: a thread tree in the shape a THREAD response has
//     on the wire (RFC 5256 §4, thread-list), so that writing the response
//     is Format's output after "* THREAD ".
//
// The caller owns everything about the messages themselves: it decodes RFC
// 2047 encoded words, parses the Date field, extracts the first address's
// local part, and evaluates the search criteria that pick the messages.
// Messages are given in sequence order; that order breaks every tie.
//
// Everything runs in O(n log n) time for n messages, apart from walking
// reference chains while linking, and nothing recurses, so a mailbox of
// 100,000 messages, one long reply chain among them, is handled quickly.
package mailsort
