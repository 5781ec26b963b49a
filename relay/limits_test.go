package relay

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// SetLimits changes the allowlist and the quotas of a running relay: what
// it holds stays, new registrations and deposits follow the new limits.
func TestSetLimitsWhileRunning(t *testing.T) {
	r, _, _ := testRelay(t, func(o *Options) { o.Policy = PolicyAllowlist; o.Allow = []envelope.Address{bobAddr} })
	register(t, r, bobKey, "")
	g, _ := NewRegistration(carolKey, r.Address(), r.opts.Now(), "")
	if err := r.Register(g); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("carol before she is allowed: %v", err)
	}
	for range 2 {
		env, _ := seal(t, aliceKey, bobAddr, []byte("x"))
		deposit(t, r, env)
	}

	// Carol allowed, bob's quota cut to what he holds.
	if err := r.SetLimits(Options{Policy: PolicyAllowlist, Allow: []envelope.Address{bobAddr, carolAddr}, MemberEnvelopes: 2, Retention: time.Hour}); err != nil {
		t.Fatal(err)
	}
	register(t, r, carolKey, "")
	over, _ := seal(t, aliceKey, bobAddr, []byte("over"))
	if _, err := r.Deposit(aliceAddr, int64(len(over)), bytes.NewReader(over)); !errors.Is(err, ErrQuotaCount) {
		t.Fatalf("deposit over the new quota: %v", err)
	}
	if st := r.Status(); st.Envelopes != 2 || st.Members != 2 {
		t.Errorf("after SetLimits: %+v, want bob's 2 envelopes kept and 2 members", st)
	}

	// Bob taken off the list: nothing more for him.
	if err := r.SetLimits(Options{Policy: PolicyAllowlist, Allow: []envelope.Address{carolAddr}}); err != nil {
		t.Fatal(err)
	}
	env, _ := seal(t, aliceKey, bobAddr, []byte("y"))
	if _, err := r.Deposit(aliceAddr, int64(len(env)), bytes.NewReader(env)); !errors.Is(err, ErrNotMember) {
		t.Fatalf("deposit for bob off the list: %v", err)
	}
	if err := r.SetLimits(Options{Policy: Policy(9)}); err == nil {
		t.Error("an unknown policy was accepted")
	}
}
