// Package report builds the messages a node writes about the delivery of
// mail: the delivery status notification (RFC 3464) it files in its
// user's INBOX when a sent message is late or has failed, and the delivery
// receipt it sends back to a sender whose envelope a relay handed over
// (docs/protocol.md, "Delivery receipts").
//
// Every function here is pure: its result depends on its arguments only,
// the time included, and it touches no store, clock or logger. The node
// reads the original header from its outbox, files the reports and queues
// the receipts. The one input that is not an argument is a DSN's multipart
// boundary when DSN.Boundary is empty: it is random then, so that no text
// quoted in the report (a remote node's reply, the original header) can
// end a part early.
package report
