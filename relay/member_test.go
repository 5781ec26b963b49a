package relay

import (
	"errors"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

func TestRegistrationChecks(t *testing.T) {
	r, c, _ := testRelay(t, nil)
	now := c.Now()
	sign := func(at time.Time, relay envelope.Address) Registration {
		g, err := NewRegistration(bobKey, relay, at, "")
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	forged := sign(now, r.Address())
	forged.Member = carolAddr // bob's signature, carol's key
	tampered := sign(now, r.Address())
	tampered.Nonce[0] ^= 1
	cases := []struct {
		name string
		g    Registration
		want error
	}{
		{"wrong key", forged, ErrBadSignature},
		{"tampered", tampered, ErrBadSignature},
		{"wrong relay", sign(now, aliceAddr), ErrWrongRelay},
		{"too old", sign(now.Add(-RegistrationWindow-time.Second), r.Address()), ErrStale},
		{"in the future", sign(now.Add(RegistrationWindow+time.Second), r.Address()), ErrStale},
	}
	for _, tc := range cases {
		if err := r.Register(tc.g); !errors.Is(err, tc.want) {
			t.Errorf("%s: Register = %v, want %v", tc.name, err, tc.want)
		}
	}
	if ok, _ := r.IsMember(carolAddr); ok {
		t.Fatal("forged registration admitted carol")
	}
	good := sign(now.Add(-time.Minute), r.Address())
	if err := r.Register(good); err != nil {
		t.Fatal(err)
	}
	if ok, err := r.IsMember(bobAddr); !ok || err != nil {
		t.Fatalf("IsMember = %v, %v", ok, err)
	}
	// Replays: the same request, and an older one still inside the window.
	if err := r.Register(good); !errors.Is(err, ErrStale) {
		t.Fatalf("replay: %v", err)
	}
	if err := r.Register(sign(now.Add(-2*time.Minute), r.Address())); !errors.Is(err, ErrStale) {
		t.Fatalf("older request: %v", err)
	}
	// A replay after Unregister does not re-admit.
	if _, err := r.Unregister(bobAddr); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(good); !errors.Is(err, ErrStale) {
		t.Fatalf("replay after Unregister: %v", err)
	}
	if ok, _ := r.IsMember(bobAddr); ok {
		t.Fatal("replay re-admitted bob")
	}
	// A fresh request renews.
	if err := r.Register(sign(now, r.Address())); err != nil {
		t.Fatalf("fresh registration: %v", err)
	}
	if s := r.Status(); s.Members != 1 {
		t.Fatalf("Status.Members = %d", s.Members)
	}
}

func TestInvitePolicy(t *testing.T) {
	r, c, _ := testRelay(t, func(o *Options) { o.Policy = PolicyInvite; o.MaxInvites = 2; o.InviteLifetime = time.Hour })
	reg := func(key []byte, token string) error {
		g, err := NewRegistration(testKey(key[0]), r.Address(), c.Now(), token)
		if err != nil {
			return err
		}
		return r.Register(g)
	}
	if err := reg([]byte{2}, ""); !errors.Is(err, ErrBadInvite) {
		t.Fatalf("no token: %v", err)
	}
	if err := reg([]byte{2}, "0123456789abcdef0123456789abcdef"); !errors.Is(err, ErrBadInvite) {
		t.Fatalf("unknown token: %v", err)
	}
	tok, err := r.NewInvite()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.NewInvite(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.NewInvite(); !errors.Is(err, ErrTooManyInvites) {
		t.Fatalf("third invite: %v", err)
	}
	if err := reg([]byte{2}, tok); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	c.Add(time.Second)
	if err := reg([]byte{3}, tok); !errors.Is(err, ErrBadInvite) {
		t.Fatalf("used token: %v", err)
	}
	if err := reg([]byte{2}, ""); err != nil {
		t.Fatalf("renewal without token: %v", err)
	}
	tok2, err := r.NewInvite()
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour)
	if err := reg([]byte{3}, tok2); !errors.Is(err, ErrBadInvite) {
		t.Fatalf("expired token: %v", err)
	}
	if _, err := r.Expire(); err != nil {
		t.Fatal(err)
	}
	if keys, _ := r.keysWithPrefix([]byte{tagInvite}); len(keys) != 0 {
		t.Fatalf("%d expired invites left", len(keys))
	}
	if err := reg([]byte{3}, "bad token"); !errors.Is(err, ErrBadRegistration) {
		t.Fatalf("token with a space: %v", err)
	}
}

func TestAllowlistPolicy(t *testing.T) {
	r, _, dir := testRelay(t, func(o *Options) { o.Policy = PolicyAllowlist; o.Allow = []envelope.Address{bobAddr} })
	register(t, r, bobKey, "")
	g, _ := NewRegistration(carolKey, r.Address(), r.opts.Now(), "")
	if err := r.Register(g); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("carol: %v", err)
	}
	// Taken off the list, bob is no longer a member.
	opts := r.opts
	opts.Allow = nil
	r.Close()
	r = reopen(t, dir, opts)
	if ok, _ := r.IsMember(bobAddr); ok {
		t.Fatal("bob still a member after removal from the allowlist")
	}
	env, _ := seal(t, aliceKey, bobAddr, []byte("x"))
	if _, err := r.Deposit(aliceAddr, int64(len(env)), bytesReader(env)); !errors.Is(err, ErrNotMember) {
		t.Fatalf("deposit for bob: %v", err)
	}
}

func TestUnregisterDeletesHeld(t *testing.T) {
	r, _, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	for i := range 3 {
		env, _ := seal(t, aliceKey, bobAddr, randomBody(i*chunkSize, uint64(i)))
		deposit(t, r, env)
	}
	ch, stop, err := r.Watch(bobAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	n, err := r.Unregister(bobAddr)
	if err != nil || n != 3 {
		t.Fatalf("Unregister = %d, %v", n, err)
	}
	mustClose(t, ch, "Unregister")
	if keys, _ := r.keysWithPrefix([]byte{tagChunk}); len(keys) != 0 {
		t.Fatalf("%d chunks left", len(keys))
	}
	if s := r.Status(); s.Members != 0 || s.Envelopes != 0 || s.Bytes != 0 {
		t.Fatalf("Status = %+v", s)
	}
	if _, err := r.Unregister(bobAddr); !errors.Is(err, ErrNotMember) {
		t.Fatalf("second Unregister: %v", err)
	}
}
