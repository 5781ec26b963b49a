package transport

import (
	"bytes"
	"crypto/ed25519"

	"github.com/Arceliar/ironwood/network"
	"github.com/bits-and-blooms/bloom/v3"
	"github.com/yggdrasil-network/yggdrasil-go/src/address"
)

// Ironwood (the router inside yggdrasil-go v0.5.14) sends a path lookup for
// a key only to spanning-tree peers whose bloom filter says the key is in
// their part of the tree, and drops any further lookup for the same key for
// a second (its path throttle). A peer sends us its filter only once it
// counts us as a tree neighbour, which takes one to three of the routers'
// once-a-second maintenance rounds after a link comes up. A lookup sent
// before that goes nowhere and still holds back the next one for a second,
// so the mesh keeps lookups back until its view says one can get out.
//
// bloomHashes is ironwood's number of hash functions per key
// (network/bloomfilter.go, bloomFilterK); the filter's size comes with the
// bits.
const bloomHashes = 8

// routingView is meshView over one reading of ironwood's filters and paths.
type routingView struct {
	filters []*bloom.BloomFilter
	paths   [][]byte
}

// view reads the peers' filters and the known paths once.
func (m *Mesh) view() meshView {
	dbg := &m.core.PacketConn.PacketConn.Debug
	v := &routingView{}
	for _, b := range dbg.GetBlooms() {
		v.filters = append(v.filters, bloom.From(b.Recv[:], bloomHashes))
	}
	for _, p := range dbg.GetPaths() {
		v.paths = append(v.paths, p.Key)
	}
	return v
}

// reaches reports whether some peer's filter contains the key's transform
// (yggdrasil looks keys up by the key its /64 subnet stands for). False
// positives are possible and harmless: the lookup is sent and answered by
// nobody, as without the check.
func (v *routingView) reaches(key ed25519.PublicKey) bool {
	snet := address.SubnetForKey(key)
	if snet == nil {
		return false
	}
	xform := snet.GetKey()
	for _, f := range v.filters {
		if f.Test(xform) {
			return true
		}
	}
	return false
}

func (v *routingView) known(key ed25519.PublicKey) bool {
	for _, p := range v.paths {
		if bytes.Equal(p, key) {
			return true
		}
	}
	return false
}

// treeReaches reports whether a path lookup for key can leave this node
// now.
func (m *Mesh) treeReaches(key ed25519.PublicKey) bool { return m.view().reaches(key) }

// pathKnown reports whether the mesh has a path to key, so that traffic to
// it is sent at once instead of waiting for a lookup.
func (m *Mesh) pathKnown(key ed25519.PublicKey) bool {
	for _, p := range m.core.PacketConn.PacketConn.Debug.GetPaths() {
		if bytes.Equal(p.Key, key) {
			return true
		}
	}
	return false
}

// lookedUp is called by ironwood, inside its router, for every path lookup
// that passes through this node. A node that looks us up is about to send
// to us, and we will need a path back to answer: ironwood would look for
// it only when our first answer is sent. While the tree is still forming
// that lookup can go nowhere, and then nothing asks again: the other node
// repeats its session set-up with the same sequence number, which ironwood
// ignores, so the first contact stalls for up to a minute (until the set-up
// expires). Looking the sender up as soon as its lookup arrives, as soon as
// our tree reaches it, finds the path back; ironwood then sends the answer
// it kept.
func (m *Mesh) lookedUp(info network.DebugLookupInfo) {
	if bytes.Equal(info.Target, m.self) && !bytes.Equal(info.Key, m.self) {
		m.lookups.add(info.Key, true)
	}
}
