// Package metrics exposes what a running node does in the Prometheus text
// format, on an HTTP listener of its own that serves /metrics and nothing
// else. It owns the node's counters and histogram (in memory, reset when
// the process starts) and reads everything else — the outbox, the mesh
// links, the relay's figures — from the node at scrape time.
//
// Invariants:
//   - Nothing here runs on a timer: counting happens on the node's own
//     goroutines as events occur, and reading happens when a scraper asks.
//     A node that nobody scrapes wakes nothing of ours (invariant 7).
//   - Every recording method of a nil *Metrics does nothing, so a node
//     without -metrics calls them unconditionally and pays nothing.
//   - Every series with a fixed set of labels exists from the start at 0,
//     so that rate() and alerts see the first event.
//
// docs/operations.md ("Metrics") lists every metric and its meaning.
package metrics
