package node

import (
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

// recordLifetime is how long the node's own relay record is valid; the
// node signs a new one at every start and once a day.
const recordLifetime = 30 * 24 * time.Hour

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

// shouldAsk reports whether a's node should be asked for its relay record
// now: not if it was asked within recordRefresh (whatever the answer, so a
// node without relays is not asked at every delivery), and not if the
// record known is younger than that. Saying yes counts as asking.
func (r *records) shouldAsk(a envelope.Address) bool {
	now := r.now()
	if t, ok := r.asked.Get(a); ok && now.Sub(t) < recordRefresh {
		return false
	}
	if rec, ok := r.get(a); ok && now.Sub(time.Unix(0, int64(rec.Seq))) < recordRefresh {
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

// ownRecord is the node's own signed relay record, renewed by the node.
type ownRecord struct {
	mu   sync.Mutex
	wire []byte // nil when the node has no relays
}

func (o *ownRecord) get() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.wire
}

func (o *ownRecord) set(wire []byte) {
	o.mu.Lock()
	o.wire = wire
	o.mu.Unlock()
}

// signRecord signs a fresh record naming the configured relays. Its
// sequence number is the signing time in nanoseconds, so a record signed
// later always replaces an earlier one.
func (n *Node) signRecord() error {
	if len(n.cfg.Relays) == 0 {
		return nil
	}
	relays := make([]envelope.Address, len(n.cfg.Relays))
	for i, r := range n.cfg.Relays {
		relays[i] = r.Address
	}
	now := time.Now()
	rec, err := relay.NewRecord(n.key, relays, uint64(now.UnixNano()), now.Add(recordLifetime))
	if err != nil {
		return fmt.Errorf("sign relay record: %w", err)
	}
	wire, err := rec.MarshalBinary()
	if err != nil {
		return fmt.Errorf("sign relay record: %w", err)
	}
	n.record.set(wire)
	return nil
}

// recordSource answers RELAYS queries: this node's own record, and, on a
// relay, its members' records.
type recordSource struct{ n *Node }

func (s recordSource) Record(a envelope.Address) ([]byte, bool) {
	n := s.n
	if a == n.addr {
		wire := n.record.get()
		return wire, wire != nil
	}
	if n.relay == nil {
		return nil, false
	}
	rec, ok, err := n.relay.RecordOf(a)
	if err != nil || !ok {
		return nil, false
	}
	wire, err := rec.MarshalBinary()
	return wire, err == nil
}
