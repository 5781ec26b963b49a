package peer

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
)

func TestRegisterAndPublish(t *testing.T) {
	rl := newKeyed(t, 1)
	svc := newMemRelay(rl.addr)
	sc, _ := openClient(t, relayServer(rl.addr, svc), alice)
	ctx := context.Background()
	reg, rec := payload(300, 1), payload(MaxBlob, 2) // the record needs a long line
	if err := sc.Register(ctx, reg); err != nil {
		t.Fatalf("register: %v", err)
	}
	if err := sc.Publish(ctx, rec); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if len(svc.registered) != 1 || !bytes.Equal(svc.registered[0], reg) {
		t.Fatalf("relay got registrations %d, want the one sent", len(svc.registered))
	}
	if len(svc.published) != 1 || !bytes.Equal(svc.published[0], rec) {
		t.Fatalf("relay got records %d, want the one sent", len(svc.published))
	}
	if err := sc.Publish(ctx, payload(MaxBlob+1, 3)); err == nil {
		t.Fatal("publishing a record over MaxBlob succeeded")
	}
}

func TestRelayServiceRefusals(t *testing.T) {
	rl := newKeyed(t, 1)
	svc := newMemRelay(rl.addr)
	sc, _ := openClient(t, relayServer(rl.addr, svc), alice)
	ctx := context.Background()
	svc.refuse = &Error{452, "4.3.1", "relay full"}
	err := sc.Register(ctx, []byte("x"))
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != 452 || e.Enhanced != "4.3.1" || e.Message != "relay full" {
		t.Fatalf("register refused with *Error: got %v", err)
	}
	svc.refuse = fmt.Errorf("registration is for another relay\r\n\x00")
	err = sc.Publish(ctx, []byte("x"))
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != 550 || e.Enhanced != "5.7.1" || !strings.HasPrefix(e.Message, "registration is for another relay") {
		t.Fatalf("publish refused with a plain error: got %v, want 550 5.7.1 with its text", err)
	}
	err = sc.Drop(ctx, []envelope.ID{{1}})
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != 550 {
		t.Fatalf("drop refused: got %v, want 550", err)
	}
	if err := sc.Noop(ctx); err != nil {
		t.Fatalf("session unusable after refusals: %v", err)
	}
}

func TestRelayCommandSyntax(t *testing.T) {
	rl := newKeyed(t, 1)
	svc := newMemRelay(rl.addr, bob)
	r, _ := rawSession(t, relayServer(rl.addr, svc))
	b64 := base64.StdEncoding.EncodeToString
	id := strings.Repeat("ab", 16)
	r.cmd("REGISTER "+b64([]byte("x")), "503 5.5.1") // before EHLO
	r.cmd("EHLO x", "250 ")
	for _, c := range []struct{ line, want string }{
		{"REGISTER", "501 5.5.4"},
		{"REGISTER !!!!", "501 5.5.4"},
		{"RECORD " + b64(make([]byte, MaxBlob+1)), "501 5.5.4"},
		{"RECORD " + b64(make([]byte, MaxBlob)) + "A", "501 5.5.4"},
		{"DROP", "501 5.5.4"},
		{"DROP " + id[:31], "501 5.5.4"},
		{"DROP " + id + "  " + id, "501 5.5.4"},
		{"DROP " + strings.TrimSpace(strings.Repeat(id+" ", MaxDropIDs+1)), "501 5.5.4"},
		{"NOOP " + strings.Repeat("x", 1200), "500 5.5.2"}, // long lines only for the relay verbs
		{"RECORD " + strings.Repeat("A", maxLongLine), "500 5.5.2"},
		{"DROP " + strings.TrimSpace(strings.Repeat(id+" ", MaxDropIDs)), "250 2.0.0"},
		{fmt.Sprintf("MAIL FROM:<%s>", alice), "250 "},
		{"REGISTER " + b64([]byte("x")), "503 5.5.1"}, // inside a transaction
		{"DROP " + id, "503 5.5.1"},
		{"ATRN", "503 5.5.1"},
		{"RELAYS " + bob.String(), "503 5.5.1"},
		{"RSET", "250 "},
		{"REGISTER " + b64([]byte("x")), "250 2.0.0"},
	} {
		r.cmd(c.line, c.want)
	}
	if len(svc.dropped) != MaxDropIDs || len(svc.registered) != 1 {
		t.Fatalf("relay got %d dropped ids and %d registrations, want %d and 1", len(svc.dropped), len(svc.registered), MaxDropIDs)
	}
}

func TestDropBatches(t *testing.T) {
	rl := newKeyed(t, 1)
	svc := newMemRelay(rl.addr)
	sc, _ := openClient(t, relayServer(rl.addr, svc), alice)
	ids := make([]envelope.ID, 250)
	for i := range ids {
		ids[i] = envelope.NewID()
	}
	if err := sc.Drop(context.Background(), ids); err != nil {
		t.Fatalf("drop: %v", err)
	}
	if len(svc.dropped) != len(ids) {
		t.Fatalf("relay dropped %d ids, want %d", len(svc.dropped), len(ids))
	}
	for i := range ids {
		if svc.dropped[i] != ids[i] {
			t.Fatalf("id %d: relay got %s, want %s", i, svc.dropped[i], ids[i])
		}
	}
}

func TestRelaysQuery(t *testing.T) {
	small, big := []byte("record of bob"), payload(MaxBlob, 7)
	srv := newServer(&store{}) // a plain node answers for itself and others it knows
	srv.Records = records{bob: small, carol: big}
	sc, _ := openClient(t, srv, alice)
	ctx := context.Background()
	for a, want := range map[envelope.Address][]byte{bob: small, carol: big} {
		got, err := sc.Relays(ctx, a)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("relays %s: %d octets, %v; want %d octets", a, len(got), err, len(want))
		}
	}
	if _, err := sc.Relays(ctx, alice); !errors.Is(err, ErrNoRecord) {
		t.Fatalf("relays for an unknown address: %v, want ErrNoRecord", err)
	}
	plain, _ := openClient(t, newServer(&store{}), alice)
	if _, err := plain.Relays(ctx, bob); !errors.Is(err, ErrNoRecord) {
		t.Fatalf("relays on a server without records: %v, want ErrNoRecord", err)
	}
	r, _ := rawSession(t, srv)
	r.cmd("EHLO x", "250 ")
	r.cmd("RELAYS nobody", "501 5.1.3")
	r.cmd("RELAYS "+alice.String(), "550 5.1.1 no relay record for "+alice.String())
	r.cmd("RELAYS <"+bob.String()+">", "250 ")
}

func TestDepositRefusals(t *testing.T) {
	rl := newKeyed(t, 1)
	svc := newMemRelay(rl.addr, bob)
	sc, _ := openClient(t, relayServer(rl.addr, svc), alice)
	ctx := context.Background()
	b := payload(100, 1)
	_, err := sc.Deposit(ctx, carol, int64(len(b)), bytes.NewReader(b))
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != 550 || e.Enhanced != "5.1.1" {
		t.Fatalf("deposit for a non-member: %v, want 550 5.1.1", err)
	}
	svc.admit = &Error{452, "4.2.2", "member over quota"}
	_, err = sc.Deposit(ctx, carol, int64(len(b)), bytes.NewReader(b))
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != 452 || !e.Temporary() {
		t.Fatalf("deposit Admit refused: %v, want Admit's 452", err)
	}
	svc.receipt = func([]byte) []byte { return nil }
	_, err = sc.Deposit(ctx, bob, int64(len(b)), bytes.NewReader(b))
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != 451 {
		t.Fatalf("deposit without a receipt from the service: %v, want 451", err)
	}
	svc.receipt = func([]byte) []byte { return make([]byte, maxReceipt+1) }
	_, err = sc.Deposit(ctx, bob, int64(len(b)), bytes.NewReader(b))
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != 451 {
		t.Fatalf("deposit with an over-long receipt from the service: %v, want 451", err)
	}
	svc.receipt = nil
	receipt, err := sc.Deposit(ctx, bob, int64(len(b)), bytes.NewReader(b))
	if err != nil || !bytes.Equal(receipt, receiptOf(b)) {
		t.Fatalf("deposit after refusals: %q, %v", receipt, err)
	}
	svc.dup = true
	receipt, err = sc.Deposit(ctx, bob, int64(len(b)), bytes.NewReader(b))
	if err != nil || !bytes.Equal(receipt, receiptOf(b)) {
		t.Fatalf("duplicate deposit: %q, %v; want the held copy's receipt", receipt, err)
	}
	if err := sc.Send(ctx, rl.addr, int64(len(b)), bytes.NewReader(b)); err != nil {
		t.Fatalf("direct delivery to the relay's own address: %v", err)
	}
}

func TestDepositNeedsCustodyReply(t *testing.T) {
	member := newKeyed(t, 2)
	c, s := tcpPair(t)
	go func() {
		r := openRawServer(s, bob)
		for _, reply := range []string{"250 2.1.0 ok", "250 2.1.5 ok"} {
			_, _ = r.br.ReadString('\n')
			_, _ = fmt.Fprintf(s, "%s\r\n", reply)
		}
		_, _ = r.br.ReadString('\n')
		_, _ = r.br.Discard(3)
		_, _ = fmt.Fprintf(s, "250 2.0.0 envelope stored\r\n")
	}()
	sc, err := (&Client{Local: member.addr, Timeouts: quick}).Open(context.Background(), c)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if _, err := sc.Deposit(context.Background(), member.addr, 3, strings.NewReader("abc")); err == nil {
		t.Fatal("a 250 without a custody receipt was taken as custody")
	}
}

func TestParseCustody(t *testing.T) {
	for text, want := range map[string]string{
		"custody " + base64.StdEncoding.EncodeToString([]byte("rcpt")):         "rcpt",
		"CUSTODY " + base64.StdEncoding.EncodeToString([]byte("r")) + " extra": "r",
	} {
		got, err := parseCustody(text)
		if err != nil || string(got) != want {
			t.Errorf("parseCustody(%q) = %q, %v; want %q", text, got, err, want)
		}
	}
	for _, bad := range []string{"", "custody", "custody ", "envelope stored", "custody !!!", "custody " + strings.Repeat("A", 2000)} {
		if got, err := parseCustody(bad); err == nil {
			t.Errorf("parseCustody(%q) = %q, want an error", bad, got)
		}
	}
}
