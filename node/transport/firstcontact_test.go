package transport

import (
	"crypto/ed25519"
	"encoding/binary"
	"testing"
	"time"

	iwn "github.com/Arceliar/ironwood/network"
)

// fixedView is a meshView with given answers.
type fixedView struct{ reach, know map[[32]byte]bool }

func (v fixedView) reaches(k ed25519.PublicKey) bool { return v.reach[[32]byte(k)] }
func (v fixedView) known(k ed25519.PublicKey) bool   { return v.know[[32]byte(k)] }

func TestLookupsWaitForTheTree(t *testing.T) {
	l := newLookups()
	probe, back := newKey(t).Public().(ed25519.PublicKey), newKey(t).Public().(ed25519.PublicKey)
	l.add(probe, false)
	l.add(back, true)
	v := fixedView{reach: map[[32]byte]bool{}, know: map[[32]byte]bool{}}

	if send, next := l.due(v); len(send) != 0 || next != lookupPoll {
		t.Fatalf("tree reaches nothing: sent %d, next round in %v; want none, %v", len(send), next, lookupPoll)
	}
	v.reach[[32]byte(probe)] = true
	send, _ := l.due(v)
	if len(send) != 1 || !send[0].Equal(probe) {
		t.Fatalf("tree reaches the probed key: sent %x, want it alone", send)
	}
	if send, _ := l.due(v); len(send) != 1 {
		t.Fatalf("no path yet: the lookup is repeated, got %d", len(send))
	}
	v.know[[32]byte(probe)] = true
	v.know[[32]byte(back)] = true
	if send, next := l.due(v); len(send) != 0 || next != 0 {
		t.Fatalf("paths known: sent %d, next %v; want none and nothing waiting", len(send), next)
	}
}

func TestLookupsSentAfterHold(t *testing.T) {
	l := newLookups()
	key := newKey(t).Public().(ed25519.PublicKey)
	l.add(key, false)
	l.pending[[32]byte(key)] = pendingLookup{since: time.Now().Add(-lookupHold)}
	send, next := l.due(fixedView{})
	if len(send) != 1 || next != 0 {
		t.Fatalf("after the hold: sent %d, next %v; want the lookup sent once and forgotten", len(send), next)
	}
}

func TestLookupsBounded(t *testing.T) {
	l := newLookups()
	for i := range maxPendingLookups + 10 {
		key := make(ed25519.PublicKey, ed25519.PublicKeySize)
		binary.BigEndian.PutUint32(key, uint32(i))
		l.add(key, false)
	}
	if n := len(l.pending); n != maxPendingLookups {
		t.Fatalf("%d lookups pending, want the bound %d", n, maxPendingLookups)
	}
}

// TestTreeReachesPeer checks the reading of ironwood's filters against a
// real mesh: a peer's key shows up once the tree has formed, a key that is
// nowhere does not.
func TestTreeReachesPeer(t *testing.T) {
	a := startMesh(t, newKey(t))
	b := startMesh(t, newKey(t), a)
	deadline := time.Now().Add(20 * time.Second)
	for !a.treeReaches(b.PublicKey()) {
		if time.Now().After(deadline) {
			t.Fatal("the tree never reached the peer")
		}
		<-time.After(lookupPoll)
	}
	if a.treeReaches(newKey(t).Public().(ed25519.PublicKey)) {
		t.Fatal("the tree reaches a key that is on no node")
	}
}

// TestLookedUpLooksBack checks that a lookup for this node makes it look
// the sender up, and that other lookups passing through do not.
func TestLookedUpLooksBack(t *testing.T) {
	m := startMesh(t, newKey(t))
	other, third := newKey(t).Public().(ed25519.PublicKey), newKey(t).Public().(ed25519.PublicKey)
	// A node with no links reaches nobody, so the lookup waits (lookupHold).
	m.lookedUp(iwn.DebugLookupInfo{Key: third, Target: other})
	m.lookedUp(iwn.DebugLookupInfo{Key: other, Target: m.self})
	m.lookups.mu.Lock()
	defer m.lookups.mu.Unlock()
	p, ok := m.lookups.pending[[32]byte(other)]
	if !ok || !p.unlessKnown || len(m.lookups.pending) != 1 {
		t.Fatalf("pending %v; want only the sender, unless a path is known", m.lookups.pending)
	}
}
