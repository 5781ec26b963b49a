package transport

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"sync"
	"sync/atomic"

	"github.com/quic-go/quic-go"
	"github.com/yggdrasil-network/yggdrasil-go/src/config"
	"github.com/yggdrasil-network/yggdrasil-go/src/core"
	"github.com/yggdrasil-network/yggdrasil-go/src/multicast"
	"github.com/yggdrasil-network/yggquic"
)

// ErrClosed is returned by a Mesh after Close.
var ErrClosed = errors.New("mesh is closed")

// Mesh is a running Yggdrasil node with QUIC streams over it.
type Mesh struct {
	log       *slog.Logger
	self      ed25519.PublicKey
	core      *core.Core
	listeners []boundListener
	mcast     *multicast.Multicast
	quic      *yggquic.YggdrasilTransport
	conns     *connTable
	reach     *notifier
	wake      *wakeups
	incoming  chan *Stream
	linksUp   atomic.Int32  // peering links up now
	linkEvent chan struct{} // a link came up or went down; buffer one
	peersMu   sync.Mutex
	peers     []*url.URL // the configured peering links (SetPeers)

	ctx       context.Context // cancelled by Close; aborts dials in progress
	cancel    context.CancelFunc
	done      chan struct{}
	wg        sync.WaitGroup // goroutines that Close waits for
	closeOnce sync.Once
	closeErr  error
	noGoodbye bool // tests: Close like a crash, leaving peers' connections stale
}

type boundListener struct {
	scheme string
	l      *core.Listener
}

// New starts a node: core, listeners, peers, multicast, then QUIC.
// On error everything already started is stopped again.
func New(cfg Config) (*Mesh, error) {
	re, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	quietQUIC()
	m := &Mesh{
		log:       discardLogger(cfg.Logger).With("component", "transport"),
		conns:     newConnTable(),
		reach:     newNotifier(),
		wake:      newWakeups(),
		incoming:  make(chan *Stream),
		linkEvent: make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	ylog := yggLogger{log: discardLogger(cfg.Logger), onLinkUp: m.linkUp, onLinkDown: m.linkDown}
	if err := m.start(cfg, re, ylog); err != nil {
		m.stopParts()
		return nil, err
	}
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.reach.pump(m.done) }()
	go m.acceptLoop() // the one goroutine that outlives Close, see package doc
	m.log.Debug("mesh started", "key", fmt.Sprintf("%x", m.self), "listen", m.ListenAddrs())
	return m, nil
}

// start brings up the parts in order, recording each in m as it starts.
func (m *Mesh) start(cfg Config, re *regexp.Regexp, ylog yggLogger) error {
	cert, err := certificate(cfg.PrivateKey)
	if err != nil {
		return err
	}
	var opts []core.SetupOption
	for _, p := range cfg.Peers {
		u, err := ParsePeerURL(p)
		if err != nil {
			return err
		}
		opts = append(opts, core.Peer{URI: p})
		m.peers = append(m.peers, u)
	}
	if m.core, err = core.New(cert, ylog, opts...); err != nil {
		return fmt.Errorf("start yggdrasil core: %w", err)
	}
	m.self = m.core.PublicKey()
	m.core.SetPathNotify(func(key ed25519.PublicKey) {
		if !key.Equal(m.self) {
			m.reach.add(key)
			m.wake.signal(key)
		}
	})
	// The router's lookup hook is the only sign that another node is
	// trying to reach this one before any of its traffic gets through.
	m.core.PacketConn.PacketConn.Debug.SetDebugLookupLogger(m.answerLookup)
	if err := m.listen(cfg.Listen); err != nil {
		return err
	}
	if cfg.Multicast {
		iface := multicast.MulticastInterface{Regex: re, Beacon: true, Listen: true}
		if m.mcast, err = multicast.New(m.core, ylog, iface); err != nil {
			return fmt.Errorf("start multicast discovery: %w", err)
		}
	}
	if m.quic, err = yggquic.New(m.core, quicConfig(cfg, m.core.MTU())); err != nil {
		return fmt.Errorf("start quic over yggdrasil: %w", err)
	}
	return nil
}

func (m *Mesh) listen(addrs []string) error {
	for _, a := range addrs {
		u, err := ParseListenURL(a)
		if err != nil {
			return err
		}
		l, err := m.core.Listen(u, "")
		if err != nil {
			return fmt.Errorf("listen on %q: %w", a, err)
		}
		m.listeners = append(m.listeners, boundListener{scheme: u.Scheme, l: l})
	}
	return nil
}

// certificate builds the self-signed TLS certificate yggdrasil's core wants
// from the user's key.
func certificate(key ed25519.PrivateKey) (*tls.Certificate, error) {
	nc := &config.NodeConfig{PrivateKey: config.KeyBytes(key)}
	if err := nc.GenerateSelfSignedCertificate(); err != nil {
		return nil, fmt.Errorf("make node certificate: %w", err)
	}
	return nc.Certificate, nil
}

func quicConfig(cfg Config, mtu uint64) *quic.Config {
	keep, idle := cfg.KeepAlive, cfg.IdleTimeout
	if keep <= 0 {
		keep = DefaultKeepAlive
	}
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	return &quic.Config{
		HandshakeIdleTimeout:    dialAttemptTimeout,
		MaxIdleTimeout:          idle,
		KeepAlivePeriod:         keep,
		InitialPacketSize:       uint16(mtu),
		DisablePathMTUDiscovery: true,
	}
}

// quietQUIC silences quic-go's one-time warning about UDP buffer sizes,
// which means nothing here: QUIC runs over the mesh, not over a UDP socket.
func quietQUIC() {
	const env = "QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING"
	if _, set := os.LookupEnv(env); !set {
		_ = os.Setenv(env, "true") // cannot fail for a valid name
	}
}
