package mailfile

import (
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/yggpost/yggpost/mailbox"
)

type digest [sha256.Size]byte

// held is the multiset of the messages a mailbox held before an import,
// by size and SHA-256. A message's digest is computed only when a
// message of its size is imported, so importing a few messages into a
// large mailbox reads few of its bodies.
type held struct {
	s      *mailbox.Store
	box    string
	bySize map[int64][]uint32 // not yet digested
	count  map[digest]int
}

func newHeld(s *mailbox.Store, box string) (*held, error) {
	msgs, err := s.Messages(box)
	if err != nil {
		return nil, err
	}
	h := &held{s: s, box: box, bySize: map[int64][]uint32{}, count: map[digest]int{}}
	for _, m := range msgs {
		h.bySize[m.Size] = append(h.bySize[m.Size], m.UID)
	}
	return h, nil
}

// take reports whether the mailbox held a message of this size and
// digest not yet matched by an imported one, and matches it.
func (h *held) take(size int64, sum digest) (bool, error) {
	for _, uid := range h.bySize[size] {
		d, _, err := h.digestOf(uid)
		if err != nil {
			return false, err
		}
		h.count[d]++
	}
	delete(h.bySize, size)
	if h.count[sum] > 0 {
		h.count[sum]--
		return true, nil
	}
	return false, nil
}

func (h *held) digestOf(uid uint32) (digest, int64, error) {
	body, err := h.s.OpenMessage(h.box, uid)
	if err != nil {
		return digest{}, 0, fmt.Errorf("read %q UID %d: %w", h.box, uid, err)
	}
	defer body.Close()
	return digestOf(body)
}

// digestOf reads r to its end.
func digestOf(r io.Reader) (digest, int64, error) {
	hash := sha256.New()
	n, err := io.Copy(hash, r)
	if err != nil {
		return digest{}, n, err
	}
	return digest(hash.Sum(nil)), n, nil
}
