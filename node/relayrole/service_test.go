package relayrole

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/relay"
)

func testKey(seed byte) (ed25519.PrivateKey, envelope.Address) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	a, _ := envelope.AddressFromKey(key.Public().(ed25519.PublicKey))
	return key, a
}

var (
	relayKey, relayAddr = testKey(0x50)
	aliceKey, aliceAddr = testKey(0x01) // a sender
	bobKey, bobAddr     = testKey(0x02) // a member
	_, carolAddr        = testKey(0x03) // not a member
)

// openRole opens a relay role over a store in a fresh directory; it is
// closed when the test ends.
func openRole(t *testing.T, forward bool) *Role {
	t.Helper()
	ro, err := Open(Options{
		Database: t.TempDir(),
		Store:    relay.Options{Forward: forward, DepositRate: -1},
		Key:      relayKey,
		Dialer:   &peer.Dialer{Client: peer.Client{Local: relayAddr}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	return ro
}

// register makes the owner of key a member.
func register(t *testing.T, ro *Role, key ed25519.PrivateKey, from envelope.Address) error {
	t.Helper()
	g, err := relay.NewRegistration(key, relayAddr, time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	wire, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return ro.Register(context.Background(), from, wire)
}

// wantReply checks that err is the peer reply code/enhanced.
func wantReply(t *testing.T, what string, err error, code int, enhanced string) {
	t.Helper()
	var perr *peer.Error
	if !errors.As(err, &perr) || perr.Code != code || perr.Enhanced != enhanced {
		t.Errorf("%s: %v, want %d %s", what, err, code, enhanced)
	}
}

func TestAdmitMembersAndForwarding(t *testing.T) {
	for _, forward := range []bool{false, true} {
		t.Run(fmt.Sprintf("forward=%v", forward), func(t *testing.T) {
			ro := openRole(t, forward)
			if err := register(t, ro, bobKey, bobAddr); err != nil {
				t.Fatalf("register: %v", err)
			}
			if err := ro.Admit(aliceAddr, bobAddr); err != nil {
				t.Errorf("a deposit for a member: %v", err)
			}
			err := ro.Admit(bobAddr, carolAddr)
			if forward && err != nil {
				t.Errorf("a member's deposit for a stranger with forwarding on: %v", err)
			}
			if !forward {
				wantReply(t, "a member's deposit for a stranger without forwarding", err, 550, "5.1.1")
			}
			wantReply(t, "a stranger's deposit for a stranger", ro.Admit(aliceAddr, carolAddr), 550, "5.1.1")
		})
	}
}

func TestRegisterOnlyForTheConnectingKey(t *testing.T) {
	ro := openRole(t, false)
	wantReply(t, "bob's registration sent by alice", register(t, ro, bobKey, aliceAddr), 550, "5.7.1")
	wantReply(t, "garbage", ro.Register(context.Background(), bobAddr, []byte("x")), 501, "5.5.4")
	if st := ro.Status(); st.Members != 0 {
		t.Fatalf("%d members after refused registrations", st.Members)
	}
}

func TestRefusalsCarryTheRightReply(t *testing.T) {
	for _, tc := range []struct {
		err      error
		code     int
		enhanced string
	}{
		{relay.ErrNotMember, 550, "5.1.1"},
		{relay.ErrQuotaBytes, 452, "4.2.2"},
		{relay.ErrQuotaCount, 452, "4.2.2"},
		{relay.ErrForwardBytes, 452, "4.3.1"},
		{relay.ErrForwardCount, 452, "4.3.1"},
		{relay.ErrTooLarge, 552, "5.3.4"},
		{relay.ErrRateLimited, 450, "4.7.1"},
		{relay.ErrBusy, 451, "4.3.2"},
		{relay.ErrMalformed, 554, "5.6.0"},
		{errors.New("disk on fire"), 451, "4.3.0"},
	} {
		wantReply(t, tc.err.Error(), relayRefusal(fmt.Errorf("deposit: %w", tc.err)), tc.code, tc.enhanced)
	}
	if err := relayRefusal(io.ErrUnexpectedEOF); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a broken stream became a reply: %v", err)
	}
}

// inbox is the member's side of a hand-over: it keeps what it is given.
type inbox struct {
	mu  sync.Mutex
	got [][]byte
}

func (in *inbox) Receive(ctx context.Context, from, rcpt envelope.Address, size int64, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	in.mu.Lock()
	in.got = append(in.got, b)
	in.mu.Unlock()
	return nil
}

func (in *inbox) count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.got)
}

// TestHandOverDeliversThenDeletes: on a turned session the relay delivers
// what it holds for the member and deletes it only once the member took it.
func TestHandOverDeliversThenDeletes(t *testing.T) {
	ro := openRole(t, false)
	if err := register(t, ro, bobKey, bobAddr); err != nil {
		t.Fatal(err)
	}
	var sealed bytes.Buffer
	if _, err := envelope.Seal(&sealed, aliceKey, bobAddr, envelope.NewID(), time.Now(), bytes.NewReader([]byte("From: <"+aliceAddr.String()+">\r\n\r\nhi\r\n"))); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Deposit(context.Background(), aliceAddr, bobAddr, int64(sealed.Len()), bytes.NewReader(sealed.Bytes())); err != nil {
		t.Fatalf("deposit: %v", err)
	}
	relaySide, memberSide := net.Pipe()
	got := &inbox{}
	member := &peer.Server{Local: bobAddr, Receiver: got, MaxSize: 1 << 20}
	go member.ServeConn(context.Background(), memberSide, relayAddr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ro.HandOver(ctx, bobAddr, relaySide) }()
	testkit.WaitFor(t, 10*time.Second, "the relay to hand the envelope over and delete it", func() bool {
		return ro.Status().Envelopes == 0
	})
	got.mu.Lock()
	intact := len(got.got) == 1 && bytes.Equal(got.got[0], sealed.Bytes())
	got.mu.Unlock()
	if !intact {
		t.Fatalf("the member got %d envelopes, want the one deposited, intact", got.count())
	}
	cancel()
	if err := testkit.Receive(t, 10*time.Second, "the hand-over to end after its context", done, nil); err != nil {
		t.Errorf("hand-over ended with %v", err)
	}
}
