package relay

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// minEnvelope is the size of the smallest sealed envelope (an empty
// message).
var minEnvelope = envelope.SealedSize(0)

// Deposit takes custody of one sealed envelope of exactly size bytes read
// from sealed, for the recipient named in its header. depositor is the key
// of the connection it came from; it is used for the rate limit and the
// forwarding check, and never stored.
//
// The recipient must be a member, or, with Options.Forward, the depositor
// must be: the envelope is then held for forwarding (see Forwarding).
//
// It returns only once the envelope is fsynced, with a signed receipt. An
// envelope already held (same recipient and id) is not stored again: the
// receipt is that of the copy held, with Duplicate set.
//
// Refusals wrap ErrTooLarge, ErrMalformed, ErrRateLimited or ErrBusy
// before anything is read, and ErrMalformed, ErrNotMember, ErrQuotaCount,
// ErrQuotaBytes, ErrForwardCount or ErrForwardBytes once the header has
// been read; in that second case the
// rest of the size bytes is read and discarded, so a stream carrying
// several envelopes stays in step. Deposit never reads more than size
// bytes. An error of sealed itself is returned wrapped as it is.
func (r *Relay) Deposit(depositor envelope.Address, size int64, sealed io.Reader) (CustodyReceipt, error) {
	if err := r.enter(); err != nil {
		return CustodyReceipt{}, err
	}
	defer r.leave()
	if err := r.admitDeposit(depositor, size); err != nil {
		r.counter.refused.Add(1)
		return CustodyReceipt{}, fmt.Errorf("deposit %d bytes: %w", size, err)
	}
	defer func() { <-r.slots }()
	src := &trackReader{r: io.LimitReader(sealed, size)}
	rc, err := r.take(depositor, size, src)
	if err != nil {
		r.counter.refused.Add(1)
		if src.err == nil {
			_, derr := io.Copy(io.Discard, src)
			err = errors.Join(err, derr)
		}
		return CustodyReceipt{}, fmt.Errorf("deposit %d bytes: %w", size, err)
	}
	return rc, nil
}

// admitDeposit applies the checks that need no byte of the envelope and
// takes a deposit slot.
func (r *Relay) admitDeposit(depositor envelope.Address, size int64) error {
	if max := r.limits().maxEnvelope; size > max {
		return fmt.Errorf("over the limit of %d bytes: %w", max, ErrTooLarge)
	}
	if size < minEnvelope {
		return fmt.Errorf("under the minimum of %d bytes: %w", minEnvelope, ErrMalformed)
	}
	if rate := r.depositRate(depositor); !r.rate.allow(depositor, r.opts.Now(), rate) {
		return fmt.Errorf("%d envelopes a minute: %w", rate, ErrRateLimited)
	}
	select {
	case r.slots <- struct{}{}:
		return nil
	default:
		return fmt.Errorf("%d in progress: %w", r.opts.MaxDeposits, ErrBusy)
	}
}

// depositRate is the rate a depositor may deposit at: a member of the
// relay, whose burst is a person's mail to someone away, gets
// MemberDepositRate; anyone else DepositRate, which stops a flood.
func (r *Relay) depositRate(depositor envelope.Address) int {
	var member bool
	err := r.db.View(func(txn *badger.Txn) error {
		var err error
		member, err = r.isMember(txn, depositor)
		return err
	})
	if err == nil && member {
		return r.opts.MemberDepositRate
	}
	return r.opts.DepositRate
}

// take reads the header, refuses or de-duplicates, then stores the bytes.
func (r *Relay) take(depositor envelope.Address, size int64, src *trackReader) (CustodyReceipt, error) {
	var head bytes.Buffer
	hdr, err := envelope.ReadHeader(io.TeeReader(src, &head))
	if err != nil {
		if src.err != nil {
			return CustodyReceipt{}, src.err
		}
		return CustodyReceipt{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	to, id := hdr.Recipient, hdr.ID
	rc, dup, fwd, err := r.look(depositor, to, id)
	if dup {
		r.counter.duplicates.Add(1)
		_, err = io.Copy(io.Discard, src)
		return rc, err
	}
	if err == nil {
		err = r.reserveFor(to, size, fwd)
	}
	if err != nil {
		return CustodyReceipt{}, fmt.Errorf("for %s: %w", to, err)
	}
	reserved := true // until the commit turns the reservation into usage
	defer func() {
		if reserved {
			r.unreserve(to, size)
		}
	}()
	b, err := r.takeBlob(io.MultiReader(&head, src))
	if err != nil {
		return CustodyReceipt{}, err
	}
	if b.size != size {
		r.dropBlob(b)
		return CustodyReceipt{}, fmt.Errorf("%w: input ended after %d of %d bytes", ErrMalformed, b.size, size)
	}
	return r.commit(depositor, to, id, b, &reserved)
}

// look reads, in one snapshot, whether (to, id) is held already (then
// with its receipt, whoever deposits it now) and otherwise whether
// depositor may deposit for to, and whether for forwarding. One read
// transaction, because each waits for the commits in flight.
func (r *Relay) look(depositor, to envelope.Address, id envelope.ID) (rc CustodyReceipt, dup, fwd bool, err error) {
	err = r.db.View(func(txn *badger.Txn) error {
		h, err := getHeld(txn, to, id)
		if err == nil {
			rc, dup = r.receiptFor(to, id, h, true), true
			return nil
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		fwd, err = r.admitRecipient(txn, depositor, to)
		return err
	})
	return rc, dup, fwd, err
}

// reserveFor reserves the quota that applies to an envelope for to.
func (r *Relay) reserveFor(to envelope.Address, size int64, fwd bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reserve(to, size, fwd)
}

// commit writes the record (and a small envelope's only chunk) last, in
// one transaction shared with concurrent deposits and acks, then tells the
// member's watchers, or kicks the forwarder. A copy held already (also
// one deposited earlier in the same group: the transaction reads its own
// writes) and a recipient no longer admitted are found before anything
// is written, so they answer or fail alone. Once committed, the envelope
// counts as held and its reservation ends at the same moment (*reserved
// becomes false), so no other deposit sees it counted twice.
func (r *Relay) commit(depositor, to envelope.Address, id envelope.ID, b blob, reserved *bool) (CustodyReceipt, error) {
	now := r.opts.Now()
	h := heldRec{size: b.size, received: now.UnixNano(), expires: now.Add(r.limits().retention).UnixNano(), blob: b.id}
	var prior *heldRec
	err := r.commits.Do(int64(len(b.small)), func(w *wbatch) error {
		prior = nil
		old, err := getHeld(w.txn, to, id)
		if err == nil {
			prior = &old
			return nil
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		fwd, err := r.admitRecipient(w.txn, depositor, to)
		if err != nil {
			return err
		}
		if b.small != nil {
			if err := w.set(chunkKey(b.id, 0), b.small); err != nil {
				return err
			}
		}
		if err := w.set(heldKey(to, id), h.encode()); err != nil {
			return err
		}
		w.onCommit(func() {
			r.hold(to, b.size, fwd)
			if *reserved {
				r.unreserveLocked(to, b.size)
				*reserved = false
			}
			r.counter.deposits.Add(1)
			r.watch.notify(to, id)
			if fwd {
				r.kickForwarder()
			}
		})
		return nil
	})
	if err != nil || prior != nil {
		r.dropBlob(b)
	}
	switch {
	case err != nil:
		return CustodyReceipt{}, fmt.Errorf("commit envelope %s for %s: %w", id, to, err)
	case prior != nil:
		r.counter.duplicates.Add(1)
		return r.receiptFor(to, id, *prior, true), nil
	}
	return r.receiptFor(to, id, h, false), nil
}

// getHeld reads the record of (to, id); a missing one is
// badger.ErrKeyNotFound.
func getHeld(txn *badger.Txn, to envelope.Address, id envelope.ID) (heldRec, error) {
	item, err := txn.Get(heldKey(to, id))
	if err != nil {
		return heldRec{}, err
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return heldRec{}, err
	}
	return decodeHeld(v)
}

// trackReader remembers the first error of its reader other than io.EOF.
type trackReader struct {
	r   io.Reader
	err error
}

func (t *trackReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}
