// Package transport owns the embedded Yggdrasil node of one Yggpost user and
// the byte streams that other nodes open to it over the mesh.
//
// A Mesh runs, in start order: the Yggdrasil core (keyed by the user's
// ed25519 key, no TUN), its TCP/TLS listeners, its configured peers,
// optional multicast discovery on local interfaces, and QUIC over the core
// (yggquic). Close stops them in reverse order. Nothing is written to disk.
//
// Streams. Dial opens a QUIC stream to a public key and retries with backoff
// until its context ends, because the first contact after a link comes up
// takes 2–3 s: the mesh must form its spanning tree before a path lookup
// gets through. A dial sends its handshake at once and looks the key up
// every 100 ms while it waits; a node that is looked up looks the asker up
// in turn, so that it has a path back for its answer (without it, a first
// contact could hear nothing for a minute; see answerLookup).
// A new stream is invisible to the receiver until the dialer writes its
// first byte; the node protocol starts every stream with a single space
// byte (as Yggmail does), so Dial itself writes nothing.
//
// Stale connections. yggquic keeps one QUIC connection per peer and reuses it.
// A peer that crashed and came back cannot tell us (no stateless reset), so a
// stream on the old connection goes nowhere until QUIC's idle timeout
// (IdleTimeout, kept short with keep-alives). A caller whose handshake times
// out calls Stream.Reset or Mesh.ResetPeer so that the next Dial makes a fresh
// connection. A Mesh that closes normally closes its QUIC connections first,
// so its peers are not left with stale ones.
//
// Reachability. Reachable delivers keys that may be reachable now: a key for
// which the mesh found a new path (after Probe or traffic), and nil meaning
// "anything may be reachable now", sent when a new peering link comes up at
// this node. Events are coalesced and bounded; none block the mesh.
// Measured limit: a node two hops away that restarts at the same place in
// the tree keeps its old path, so ironwood reports no new path and its key
// does not appear; only its direct peers see the link come up (nil). A
// delivery queue must still retry on a timer for such keys.
//
// Goroutines. Every goroutine the Mesh starts stops in Close, with one known
// exception: yggquic's Accept cannot be interrupted, so one goroutine stays
// blocked in it after Close for the life of the process.
package transport
