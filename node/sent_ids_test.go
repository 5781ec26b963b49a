package node

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
)

func TestSubmissionIDs(t *testing.T) {
	node := func() *submitter {
		_, key, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatalf("generate key: %v", err)
		}
		return &submitter{key: key}
	}
	n, other := node(), node()
	a, b := testAddress(t), testAddress(t)
	d1, d2 := sha256.Sum256([]byte("one")), sha256.Sum256([]byte("two"))
	id := n.submissionID(d1, a)
	if n.submissionID(d1, a) != id {
		t.Fatal("the same message to the same recipient got two ids")
	}
	for name, alt := range map[string][16]byte{
		"another recipient": n.submissionID(d1, b),
		"another message":   n.submissionID(d2, a),
		"another sender":    other.submissionID(d1, a),
	} {
		if alt == id {
			t.Errorf("%s: same id %x", name, id)
		}
	}
}
