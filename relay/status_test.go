package relay

import (
	"testing"
)

// Members lists every registered member, with what is held for each and
// nothing for a member with nothing waiting.
func TestMembersWithWhatIsHeld(t *testing.T) {
	r, clk, _ := testRelay(t, nil)
	alice, bob, carol := testKey(1), testKey(2), testKey(3)
	register(t, r, alice, "")
	clk.Add(1)
	register(t, r, bob, "")
	for i := range 3 {
		env, _ := seal(t, carol, addrOf(alice), randomBody(100+i, uint64(i)))
		deposit(t, r, env)
	}
	members, err := r.Members()
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 {
		t.Fatalf("%d members listed, want 2: %+v", len(members), members)
	}
	byAddr := map[string]MemberUsage{}
	for _, m := range members {
		byAddr[m.Member.String()] = m
		if m.Since.IsZero() {
			t.Errorf("member %s without a registration time", m.Member)
		}
	}
	a, b := byAddr[addrOf(alice).String()], byAddr[addrOf(bob).String()]
	if a.Envelopes != 3 || a.Bytes <= 300 || b.Envelopes != 0 || b.Bytes != 0 {
		t.Errorf("alice holds %d envelopes, %d bytes; bob %d, %d; want 3 (over 300 bytes) and 0", a.Envelopes, a.Bytes, b.Envelopes, b.Bytes)
	}
	if st := r.Status(); st.Envelopes != 3 {
		t.Errorf("Status says %d envelopes held", st.Envelopes)
	}
}
