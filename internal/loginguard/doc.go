// Package loginguard slows down and then refuses password guessing, per
// remote address, for the node's IMAP LOGIN/AUTHENTICATE and SMTP AUTH. It
// owns, in memory only, a record of recent failed logins per address group.
//
// # Policy
//
// Failures are counted per address group over a sliding Window (default
// 15 minutes) and forgotten once older than that. With n failures in the
// window, a new login from the group:
//
//   - with n < 3 is checked at once;
//   - with n ≥ 3 waits 1 s, then 2, 4, 8 and 16 s for each further
//     failure, at most 16 s, before its password is checked;
//   - is refused without checking once the group has had RefuseAfter
//     failures (default 10) in the window: the group is refused for
//     RefuseFor (default 15 minutes), with a *Refused error that says until
//     when. After the refusal the group starts afresh.
//
// A successful login clears its group's record. A wrong password from ten
// addresses is ten unrelated records: guessing from one address does not
// lock out the user's clients elsewhere.
//
// # What a right password meets
//
// During a delay a login with the right password waits like any other:
// the password cannot be told right before it is checked, and checking it
// first would tell a guesser, by the speed of the answer, which guesses to
// wait for. During a refusal it is refused without being checked; the
// user's clients at other addresses are unaffected.
//
// # Address groups
//
// An IPv4 address is its own group; an IPv6 address is grouped with its
// /64, which is what one subscriber or host usually gets. IPv4-mapped IPv6
// addresses count as IPv4. Loopback is limited like any other address:
// the user's own clients there rarely fail, and malware on the same
// machine must not guess freely. An address that is not IP (a Unix socket,
// a pipe in tests) shares one group with every other such address.
//
// Addresses on the Yggdrasil mesh (200::/7) derive from keys that cost
// nothing to make, so there the limit slows each address but does not
// bound a guesser who makes many; it matters most on listeners reached
// from the Internet or a LAN.
//
// # Concurrency
//
// Logins whose password is still being checked (between Login's start and
// its result) count towards RefuseAfter, so guesses sent in parallel
// cannot run past the threshold: a login that would pass it is refused,
// with Until as late as a refusal that began now. They do not lengthen the
// delay, so a mail client that opens five connections at once is not
// slowed down. Check, Failed and Succeeded, for a server that does not
// call Login, see those counts but do not add to them.
//
// # Memory
//
// At most MaxAddresses groups (default 10,000) are tracked; when full, the
// one least recently active is forgotten. The bound is what lets the guard
// stand a flood of addresses, at the cost that an attacker with more
// addresses than that can make it forget some of them.
package loginguard
