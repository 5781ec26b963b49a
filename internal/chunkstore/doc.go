// Package chunkstore owns large values ("blobs") kept in chunks in a Badger
// database, and the Badger plumbing its callers share: opening the database
// durably (SyncWrites, Badger's log routed to slog), a lifetime gate that
// keeps readers off a closed database, listing and deleting keys under a
// prefix in bounded transactions, compaction on demand (Badger's own
// compactors wake every 50 ms; see Compactor), value-log garbage
// collection, and group commit: a Committer lets concurrent small writes
// share one transaction, and so one fsync.
//
// # Layout
//
// A blob is named by a 16-byte random ID. Its bytes are split into chunks
// of ChunkSize bytes, stored under
//
//	tag + blob id + chunk index (uint32, big-endian)
//
// where tag is a one-byte table tag chosen by the caller. The caller owns
// every other key prefix and tag in the database, and the record that
// references a blob (its ID and size); this package never reads those.
//
// # Invariants
//
//   - Chunks first, index last: Write commits a blob's chunks in
//     transactions of at most ChunksPerTxn chunks, so memory does not grow
//     with the blob, and returns only when they are durable. The caller
//     commits the record that references the blob afterwards, in its own
//     transaction. A blob shorter than one chunk is returned in memory by
//     Take, for the caller to write in that same last transaction.
//   - Orphans swept: a crash between the chunks and the record leaves
//     chunks no record references. Sweep, run by the caller at open, deletes
//     them, asking the caller which blobs are referenced.
//   - Chunks are deleted only by Delete and Sweep, in transactions of at
//     most OpsPerTxn deletions; the caller deletes a blob only after the
//     transaction that dropped its last reference has committed.
//   - A Reader reads from one read snapshot, so a delete committed while it
//     streams does not cut it short; it enters the Gate for every chunk, so
//     it never touches a closed database.
package chunkstore
