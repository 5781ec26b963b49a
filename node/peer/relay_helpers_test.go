package peer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/yggpost/yggpost/envelope"
)

// keyed is a test identity with a real ed25519 key, for the signed
// hand-over.
type keyed struct {
	key  ed25519.PrivateKey
	addr envelope.Address
}

func newKeyed(t testing.TB, seed byte) keyed {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	addr, err := envelope.AddressFromKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatalf("address from key: %v", err)
	}
	return keyed{key: key, addr: addr}
}

// memRelay is an in-memory RelayService. The relay/ store is developed at
// the same time as this package and not imported here; memRelay keeps the
// contract this package relies on: custody only after the whole chunk was
// read, delete only on the member's 250, hand-over as a real Client on the
// turned stream.
type memRelay struct {
	self    envelope.Address
	members map[envelope.Address]bool
	admit   error // returned by Admit for non-members; nil means a plain error

	mu         sync.Mutex
	held       map[envelope.Address][][]byte
	registered [][]byte
	published  [][]byte
	dropped    []envelope.ID
	refuse     error // returned by Register, Publish and Drop when set
	receipt    func(b []byte) []byte
	dup        bool // Deposit reports the receipt with ErrDuplicate
	handOvers  int
}

func newMemRelay(self envelope.Address, members ...envelope.Address) *memRelay {
	m := &memRelay{self: self, members: map[envelope.Address]bool{}, held: map[envelope.Address][][]byte{}}
	for _, a := range members {
		m.members[a] = true
	}
	return m
}

func (m *memRelay) Admit(_, rcpt envelope.Address) error {
	if m.members[rcpt] {
		return nil
	}
	if m.admit != nil {
		return m.admit
	}
	return errors.New("not a member")
}

// receiptOf is the test's custody receipt: a hash of the envelope.
func receiptOf(b []byte) []byte {
	h := sha256.Sum256(b)
	return append([]byte("custody-of:"), h[:]...)
}

func (m *memRelay) Deposit(_ context.Context, _, rcpt envelope.Address, size int64, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read deposit: %w", err)
	}
	if int64(len(b)) != size {
		return nil, fmt.Errorf("got %d octets, announced %d", len(b), size)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dup {
		return receiptOf(b), fmt.Errorf("deposit: %w", ErrDuplicate)
	}
	m.held[rcpt] = append(m.held[rcpt], b)
	if m.receipt != nil {
		return m.receipt(b), nil
	}
	return receiptOf(b), nil
}

func (m *memRelay) Register(_ context.Context, _ envelope.Address, g []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.registered = append(m.registered, g)
	return m.refuse
}

func (m *memRelay) Publish(_ context.Context, _ envelope.Address, rec []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.published = append(m.published, rec)
	return m.refuse
}

func (m *memRelay) Drop(_ context.Context, _ envelope.Address, ids []envelope.ID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropped = append(m.dropped, ids...)
	return m.refuse
}

// HandOver delivers everything held for member, oldest first, deleting
// each envelope only on the member's 250, then says QUIT.
func (m *memRelay) HandOver(ctx context.Context, member envelope.Address, conn net.Conn) error {
	m.mu.Lock()
	m.handOvers++
	m.mu.Unlock()
	sc, err := (&Client{Local: m.self, Timeouts: quick}).Open(ctx, conn)
	if err != nil {
		return fmt.Errorf("open turned session: %w", err)
	}
	for {
		b, ok := m.next(member)
		if !ok {
			break
		}
		if err := sc.Send(ctx, member, int64(len(b)), bytes.NewReader(b)); err != nil {
			return fmt.Errorf("hand over: %w", err)
		}
		if err := sc.Noop(ctx); err != nil {
			return err
		}
		m.ack(member)
	}
	return sc.Quit(ctx)
}

func (m *memRelay) next(member envelope.Address) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.held[member]) == 0 {
		return nil, false
	}
	return m.held[member][0], true
}

func (m *memRelay) ack(member envelope.Address) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.held[member] = m.held[member][1:]
}

func (m *memRelay) heldFor(member envelope.Address) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.held[member])
}

// records is a RecordSource from a map.
type records map[envelope.Address][]byte

func (r records) Record(a envelope.Address) ([]byte, bool) {
	b, ok := r[a]
	return b, ok
}

// relayServer is a Server for the relay identity with svc behind it.
func relayServer(self envelope.Address, svc RelayService) *Server {
	return &Server{Local: self, Receiver: &store{}, Relay: svc, MaxSize: 1 << 20, Timeouts: quick}
}

// openClient starts a Client session from local to srv over a pipe and
// returns it with ServeConn's result channel.
func openClient(t *testing.T, srv *Server, local envelope.Address) (*ClientConn, <-chan error) {
	t.Helper()
	return openClientOn(t, func(*testing.T) (net.Conn, net.Conn) { return net.Pipe() }, srv, local)
}

// openClientOn is openClient on a stream made by pair.
func openClientOn(t *testing.T, pair func(*testing.T) (net.Conn, net.Conn), srv *Server, local envelope.Address) (*ClientConn, <-chan error) {
	t.Helper()
	c, s := pair(t)
	done := serve(t, srv, s, local)
	sc, err := (&Client{Local: local, Timeouts: quick}).Open(context.Background(), c)
	if err != nil {
		t.Fatalf("open session: %v", err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc, done
}
