package relay

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// In these tests bob is a member who deposits mail for alice and carol,
// who are not members (until a test registers one of them).

func forwardRelay(t *testing.T, adjust func(*Options)) (*Relay, *clock, string) {
	t.Helper()
	r, c, dir := testRelay(t, func(o *Options) {
		o.Forward = true
		if adjust != nil {
			adjust(o)
		}
	})
	register(t, r, bobKey, "")
	return r, c, dir
}

func depositFrom(t *testing.T, r *Relay, depositor envelope.Address, env []byte) (CustodyReceipt, error) {
	t.Helper()
	return r.Deposit(depositor, int64(len(env)), bytes.NewReader(env))
}

func mustDepositFrom(t *testing.T, r *Relay, depositor envelope.Address, env []byte) CustodyReceipt {
	t.Helper()
	rc, err := depositFrom(t, r, depositor, env)
	if err != nil {
		t.Fatalf("Deposit: %v", err)
	}
	return rc
}

func mustKick(t *testing.T, r *Relay) {
	t.Helper()
	select {
	case <-r.ForwardKick():
	case <-time.After(10 * time.Second):
		t.Fatal("no forward kick within 10 s")
	}
}

func noKick(t *testing.T, r *Relay) {
	t.Helper()
	select {
	case <-r.ForwardKick():
		t.Fatal("unexpected forward kick")
	default:
	}
}

func mustForwarding(t *testing.T, r *Relay) []Held {
	t.Helper()
	hs, err := r.Forwarding()
	if err != nil {
		t.Fatalf("Forwarding: %v", err)
	}
	return hs
}

func TestForwardRefusedUnlessOnAndDepositorMember(t *testing.T) {
	off, _, _ := testRelay(t, nil)
	register(t, off, bobKey, "")
	env, _ := seal(t, bobKey, aliceAddr, []byte("hi"))
	if _, err := depositFrom(t, off, bobAddr, env); !errors.Is(err, ErrNotMember) || Temporary(err) {
		t.Fatalf("Forward off: %v, want permanent ErrNotMember", err)
	}
	on, _, _ := forwardRelay(t, nil)
	if _, err := depositFrom(t, on, carolAddr, env); !errors.Is(err, ErrNotMember) {
		t.Fatalf("depositor not a member: %v, want ErrNotMember", err)
	}
	toRelay, _ := seal(t, bobKey, on.Address(), []byte("to the relay itself"))
	if _, err := depositFrom(t, on, bobAddr, toRelay); !errors.Is(err, ErrNotMember) {
		t.Fatalf("forwarding to the relay's own address: %v, want ErrNotMember", err)
	}
	noKick(t, on)
	for _, r := range []*Relay{off, on} {
		if hs := mustForwarding(t, r); len(hs) != 0 || r.Status().Envelopes != 0 {
			t.Fatalf("refused deposits left %d held, status %+v", len(hs), r.Status())
		}
	}
}

func TestForwardCustody(t *testing.T) {
	r, _, dir := forwardRelay(t, nil)
	env, id := seal(t, bobKey, aliceAddr, randomBody(3*chunkSize, 7))
	rc, err := depositFrom(t, r, bobAddr, env)
	if err != nil {
		t.Fatalf("forwarding deposit: %v", err)
	}
	if err := rc.Check(r.Address(), aliceAddr, id, int64(len(env))); err != nil {
		t.Fatalf("receipt: %v", err)
	}
	mustKick(t, r)
	// A member's deposit does not kick.
	toBob, _ := seal(t, aliceKey, bobAddr, []byte("for bob"))
	deposit(t, r, toBob)
	noKick(t, r)
	hs := mustForwarding(t, r)
	if len(hs) != 1 || hs[0].To != aliceAddr || hs[0].ID != id || hs[0].Size != int64(len(env)) {
		t.Fatalf("Forwarding = %+v", hs)
	}
	if p, _ := r.Pending(bobAddr); len(p) != 1 || p[0].To != bobAddr {
		t.Fatalf("Pending(bob) = %+v, want only bob's own envelope", p)
	}
	s := r.Status()
	if s.Envelopes != 2 || s.Forwarding != 1 || s.ForwardingBytes != int64(len(env)) || s.Bytes != int64(len(env)+len(toBob)) {
		t.Fatalf("Status = %+v", s)
	}
	opts := r.opts
	r.Close()
	r = reopen(t, dir, opts)
	if hs := mustForwarding(t, r); len(hs) != 1 || hs[0].ID != id {
		t.Fatalf("after reopen Forwarding = %+v", hs)
	}
	if s := r.Status(); s.Forwarding != 1 || s.ForwardingBytes != int64(len(env)) || s.Envelopes != 2 {
		t.Fatalf("after reopen Status = %+v", s)
	}
	if got := fetch(t, r, aliceAddr, id); !bytes.Equal(got, env) {
		t.Fatal("held bytes differ from the deposit")
	}
	if rc2, err := depositFrom(t, r, bobAddr, env); err != nil || !rc2.Duplicate {
		t.Fatalf("second deposit: %+v, %v; want a duplicate receipt", rc2, err)
	}
	if err := r.Ack(aliceAddr, id); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if s := r.Status(); s.Forwarding != 0 || s.ForwardingBytes != 0 || s.Forwarded != 1 || s.HandOvers != 0 || s.Envelopes != 1 {
		t.Fatalf("after Ack Status = %+v", s)
	}
	if hs := mustForwarding(t, r); len(hs) != 0 {
		t.Fatalf("Forwarding after Ack = %+v", hs)
	}
}

func TestForwardQuotas(t *testing.T) {
	r, _, _ := forwardRelay(t, func(o *Options) { o.ForwardCount = 2; o.MemberEnvelopes = 5 })
	var ids []envelope.ID
	for i, to := range []envelope.Address{aliceAddr, carolAddr} {
		env, id := seal(t, bobKey, to, []byte{byte(i)})
		if _, err := depositFrom(t, r, bobAddr, env); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	third, _ := seal(t, bobKey, carolAddr, []byte("third"))
	_, err := depositFrom(t, r, bobAddr, third)
	if !errors.Is(err, ErrForwardCount) || !Temporary(err) {
		t.Fatalf("third forwarding deposit: %v, want temporary ErrForwardCount", err)
	}
	// The members' quotas are separate.
	toBob, _ := seal(t, aliceKey, bobAddr, []byte("b"))
	deposit(t, r, toBob)
	if err := r.Drop(carolAddr, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := depositFrom(t, r, bobAddr, third); err != nil {
		t.Fatalf("after Drop: %v", err)
	}

	rb, _, _ := forwardRelay(t, func(o *Options) { o.ForwardBytes = 3000 })
	env, _ := seal(t, bobKey, aliceAddr, randomBody(2000, 1))
	if _, err := depositFrom(t, rb, bobAddr, env); err != nil {
		t.Fatal(err)
	}
	env2, _ := seal(t, bobKey, aliceAddr, randomBody(1000, 2))
	if _, err := depositFrom(t, rb, bobAddr, env2); !errors.Is(err, ErrForwardBytes) || !Temporary(err) {
		t.Fatalf("over the byte quota: %v, want temporary ErrForwardBytes", err)
	}
	if s := rb.Status(); s.Forwarding != 1 || s.ForwardingBytes != int64(len(env)) {
		t.Fatalf("Status = %+v", s)
	}
}

// TestForwardQuotaConcurrent starts more forwarding deposits at once than
// the quota allows: exactly the quota is taken.
func TestForwardQuotaConcurrent(t *testing.T) {
	const quota, tries = 5, 12
	r, _, _ := forwardRelay(t, func(o *Options) { o.ForwardCount = quota })
	var wg sync.WaitGroup
	errs := make(chan error, tries)
	for i := range tries {
		env, _ := seal(t, bobKey, carolAddr, randomBody(chunkSize+100, uint64(i)))
		wg.Go(func() {
			_, err := r.Deposit(bobAddr, int64(len(env)), bytes.NewReader(env))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	var ok, full int
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrForwardCount):
			full++
		default:
			t.Errorf("deposit: %v", err)
		}
	}
	if ok != quota || full != tries-quota {
		t.Fatalf("%d taken and %d refused, want %d and %d", ok, full, quota, tries-quota)
	}
	if s := r.Status(); s.Forwarding != quota {
		t.Fatalf("Status = %+v", s)
	}
}

// TestForwardRecipientJoins: what is held for forwarding to carol becomes
// pending for her when she registers, in memory and after a reopen, and
// counts against her member quota from then on.
func TestForwardRecipientJoins(t *testing.T) {
	r, c, dir := forwardRelay(t, func(o *Options) { o.MemberEnvelopes = 2 })
	env1, id1 := seal(t, bobKey, carolAddr, []byte("one"))
	env2, id2 := seal(t, bobKey, carolAddr, []byte("two"))
	mustDepositFrom(t, r, bobAddr, env1)
	c.Add(time.Second)
	mustDepositFrom(t, r, bobAddr, env2)
	register(t, r, carolKey, "")
	if hs := mustForwarding(t, r); len(hs) != 0 {
		t.Fatalf("Forwarding after carol joined = %+v", hs)
	}
	check := func(when string) {
		t.Helper()
		p, err := r.Pending(carolAddr)
		if err != nil || len(p) != 2 || p[0].ID != id1 || p[1].ID != id2 {
			t.Fatalf("%s: Pending(carol) = %+v, %v", when, p, err)
		}
		if s := r.Status(); s.Forwarding != 0 || s.ForwardingBytes != 0 || s.Envelopes != 2 {
			t.Fatalf("%s: Status = %+v", when, s)
		}
	}
	check("after Register")
	// Her member quota of 2 is full now.
	env3, _ := seal(t, aliceKey, carolAddr, []byte("three"))
	if _, err := depositFrom(t, r, aliceAddr, env3); !errors.Is(err, ErrQuotaCount) {
		t.Fatalf("deposit over carol's quota: %v", err)
	}
	opts := r.opts
	r.Close()
	r = reopen(t, dir, opts)
	check("after reopen")
	if err := r.Ack(carolAddr, id1); err != nil {
		t.Fatal(err)
	}
	if s := r.Status(); s.HandOvers != 1 || s.Forwarded != 0 {
		t.Fatalf("Ack by the new member counted as %+v", s)
	}
	// Unregister deletes what is held for her, as for any member; what is
	// deposited for her afterwards is forwarding again.
	if n, err := r.Unregister(carolAddr); n != 1 || err != nil {
		t.Fatalf("Unregister = %d, %v", n, err)
	}
	mustDepositFrom(t, r, bobAddr, env3)
	if hs := mustForwarding(t, r); len(hs) != 1 || hs[0].To != carolAddr {
		t.Fatalf("Forwarding after Unregister = %+v", hs)
	}
	if s := r.Status(); s.Forwarding != 1 || s.Envelopes != 1 {
		t.Fatalf("Status = %+v", s)
	}
}

func TestForwardExpireAndDrop(t *testing.T) {
	r, c, _ := forwardRelay(t, nil)
	envA, idA := seal(t, bobKey, aliceAddr, []byte("a"))
	envC, idC := seal(t, bobKey, carolAddr, []byte("c"))
	mustDepositFrom(t, r, bobAddr, envA)
	c.Add(time.Hour)
	mustDepositFrom(t, r, bobAddr, envC)
	if err := r.Drop(carolAddr, idC); err != nil {
		t.Fatal(err)
	}
	c.Add(DefaultRetention - time.Minute)
	gone, err := r.Expire()
	if err != nil || len(gone) != 1 || gone[0].Recipient != aliceAddr || gone[0].ID != idA {
		t.Fatalf("Expire = %+v, %v", gone, err)
	}
	if s := r.Status(); s.Forwarding != 0 || s.Envelopes != 0 || s.Dropped != 1 || s.Expired != 1 {
		t.Fatalf("Status = %+v", s)
	}
	if _, _, err := r.Open(aliceAddr, idA); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Open after Expire: %v", err)
	}
}
