package peerbook

import (
	"errors"
	"log/slog"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
)

// Protocol is the way a peer's node takes mail.
type Protocol byte

// The protocols a peer's node may speak.
const (
	Unknown Protocol = iota
	// Yggpost: sealed envelopes with BDAT (YGGPOST 1).
	Yggpost
	// Classic: plain messages with DATA, as original Yggmail nodes.
	Classic
)

func (p Protocol) String() string {
	switch p {
	case Yggpost:
		return "yggpost"
	case Classic:
		return "classic"
	}
	return "unknown"
}

// protocolCacheSize bounds the peers whose protocol is kept in memory.
const protocolCacheSize = 1024

// protocols remembers which protocol each peer's node speaks, so the next
// message goes the right way at once. What is learned is persisted in the
// store (setting "peer.protocol.<hex key>") when it changes, with a bounded
// cache in front. It is learned only from authenticated streams to or from
// the peer's own key. A peer once seen speaking YGGPOST is never recorded
// as classic again: a node that suddenly stops advertising the extension is
// treated as failing, never downgraded to sending in the clear.
type protocols struct {
	mu    sync.Mutex
	store *mailbox.Store
	log   *slog.Logger
	cache *lru.Cache[envelope.Address, Protocol]
}

func newProtocols(store *mailbox.Store, log *slog.Logger) *protocols {
	cache, _ := lru.New[envelope.Address, Protocol](protocolCacheSize) // only fails for a size <= 0
	return &protocols{store: store, log: log, cache: cache}
}

func protocolSetting(a envelope.Address) string { return "peer.protocol." + a.Hex() }

// get returns what is known of a's protocol.
func (p *protocols) get(a envelope.Address) Protocol {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.getLocked(a)
}

func (p *protocols) getLocked(a envelope.Address) Protocol {
	if v, ok := p.cache.Get(a); ok {
		return v
	}
	v := Unknown
	raw, err := p.store.Setting(protocolSetting(a))
	if err == nil && len(raw) == 1 && (Protocol(raw[0]) == Yggpost || Protocol(raw[0]) == Classic) {
		v = Protocol(raw[0])
	}
	if err == nil || errors.Is(err, mailbox.ErrNotFound) {
		p.cache.Add(a, v)
	}
	return v
}

// learn records that a's node speaks proto. It returns false when that
// would downgrade a peer known to speak YGGPOST.
func (p *protocols) learn(a envelope.Address, proto Protocol) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.getLocked(a)
	if old == proto {
		return true
	}
	if old == Yggpost {
		return false
	}
	p.cache.Add(a, proto)
	if err := p.store.SetSetting(protocolSetting(a), []byte{byte(proto)}); err != nil {
		// Only costs a second detection after a restart.
		p.log.Warn("remember peer protocol", "peer", a.String(), "err", err)
	}
	return true
}
