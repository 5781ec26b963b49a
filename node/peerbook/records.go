package peerbook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/relay"
)

// recordCacheSize bounds the relay records kept in memory.
const recordCacheSize = 1024

// RecordRefresh is how old a correspondent's relay record may get before
// a delivery asks its node for the current one; a node is asked at most
// this often, whatever it answers.
const RecordRefresh = 24 * time.Hour

// records keeps the relay records of correspondents: which relays hold
// mail for them while they are offline. A record is learned from an
// envelope the correspondent signed, or from a RELAYS answer, and kept
// only if its signature verifies, it is for the key it claims, it has not
// expired and its sequence number is higher than the one known. Records
// persist in the store (setting "peer.relays.<hex key>") with a bounded
// cache in front.
type records struct {
	mu    sync.Mutex
	store *mailbox.Store
	log   *slog.Logger
	cache *lru.Cache[envelope.Address, relay.Record]
	asked *lru.Cache[envelope.Address, time.Time] // when a node was last asked for its record
	now   func() time.Time
}

func newRecords(store *mailbox.Store, log *slog.Logger) *records {
	cache, _ := lru.New[envelope.Address, relay.Record](recordCacheSize) // only fails for a size <= 0
	asked, _ := lru.New[envelope.Address, time.Time](recordCacheSize)
	return &records{store: store, log: log, cache: cache, asked: asked, now: time.Now}
}

// RecordAsker asks a correspondent's node for its relay record; a
// *peer.ClientConn is one.
type RecordAsker interface {
	// Yggpost reports whether the node speaks YGGPOST (classic nodes have
	// no relays).
	Yggpost() bool
	// Relays returns the signed relay record of a.
	Relays(ctx context.Context, a envelope.Address) ([]byte, error)
}

// refresh asks a's node, over an open session, for its relay record when
// the one known is missing or old (at most once per RecordRefresh), so that
// mail can reach it through its relays the next time it is offline.
// Failing costs nothing.
func (r *records) refresh(ctx context.Context, q RecordAsker, a envelope.Address) {
	if !q.Yggpost() || !r.shouldAsk(a) {
		return
	}
	wire, err := q.Relays(ctx, a)
	if err != nil {
		return // no relays, or an older node
	}
	if err := r.learn(a, wire); err != nil {
		r.log.Warn("relay record refused", "peer", a.String(), "err", err)
	}
}

// shouldAsk reports whether a's node should be asked for its relay record
// now: not if it was asked within RecordRefresh (whatever the answer, so a
// node without relays is not asked at every delivery), and not if the
// record known is younger than that. Saying yes counts as asking.
func (r *records) shouldAsk(a envelope.Address) bool {
	now := r.now()
	if t, ok := r.asked.Get(a); ok && now.Sub(t) < RecordRefresh {
		return false
	}
	if rec, ok := r.get(a); ok && now.Sub(time.Unix(0, int64(rec.Seq))) < RecordRefresh {
		return false
	}
	r.asked.Add(a, now)
	return true
}

func recordSetting(a envelope.Address) string { return "peer.relays." + a.Hex() }

// get returns the valid record of a, if one is known.
func (r *records) get(a envelope.Address) (relay.Record, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.getLocked(a)
	if !ok || !r.now().Before(rec.Expires) {
		return relay.Record{}, false
	}
	return rec, true
}

func (r *records) getLocked(a envelope.Address) (relay.Record, bool) {
	if rec, ok := r.cache.Get(a); ok {
		return rec, rec.Member == a
	}
	var rec relay.Record
	raw, err := r.store.Setting(recordSetting(a))
	// A record is verified when learned and again when read back from the
	// disk; the cache holds only verified ones.
	if err == nil && rec.UnmarshalBinary(raw) == nil && rec.Member == a && rec.Verify(r.now()) == nil {
		r.cache.Add(a, rec)
		return rec, true
	}
	if err == nil || errors.Is(err, mailbox.ErrNotFound) {
		r.cache.Add(a, relay.Record{}) // known to be unknown
	}
	return relay.Record{}, false
}

// learn takes the wire form of a record claimed to be signer's. It returns
// an error saying what is wrong with a record it refuses; an older record
// than the one known is not an error and changes nothing.
func (r *records) learn(signer envelope.Address, wire []byte) error {
	var rec relay.Record
	if err := rec.UnmarshalBinary(wire); err != nil {
		return fmt.Errorf("relay record of %s: %w", signer, err)
	}
	if rec.Member != signer {
		return fmt.Errorf("relay record of %s names member %s", signer, rec.Member)
	}
	if err := rec.Verify(r.now()); err != nil {
		return fmt.Errorf("relay record of %s: %w", signer, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.getLocked(signer); ok && old.Seq >= rec.Seq {
		return nil
	}
	r.cache.Add(signer, rec)
	if err := r.store.SetSetting(recordSetting(signer), wire); err != nil {
		r.log.Warn("remember relay record", "peer", signer.String(), "err", err)
	}
	r.log.Info("learned relay record", "peer", signer.String(), "relays", len(rec.Relays), "seq", rec.Seq)
	return nil
}
