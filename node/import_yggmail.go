package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/yggmail"
)

// ImportProgress tells how far ImportYggmail has come. It is reported
// after every message and once more at the end of every mailbox.
type ImportProgress struct {
	Mailbox       string // the Yggmail mailbox being read
	MailboxDone   bool   // every message of Mailbox is done
	Messages      int64  // messages done, in all mailboxes, including those an earlier run stored
	Bytes         int64  // their size
	TotalMessages int64
	TotalBytes    int64
}

// ImportSummary says what ImportYggmail did.
type ImportSummary struct {
	Address   envelope.Address
	Mailboxes int   // Yggmail mailboxes read
	Messages  int64 // messages stored by this run
	Bytes     int64 // their size
	Skipped   int64 // messages an earlier run had stored, not stored again
	Queued    int   // messages put in the outbox by this run
	NotQueued int   // queue entries that could not be queued (each is logged)
	// Password is "imported" (Yggmail's password is now the password),
	// "kept" (the database had a password already and keeps it) or "none"
	// (Yggmail had none: set one with yggpost -password).
	Password string
	Duration time.Duration
}

// ErrOtherAddress means the target database belongs to another address.
var ErrOtherAddress = errors.New("the database belongs to another address")

// ImportYggmail copies the Yggmail database src into the node database
// cfg.Database: the key (so the address stays), the password hash, every
// mailbox with its subscription, every message byte for byte with its
// flags and date, and the messages still to send, which go out when the
// node first runs. Yggmail's Outbox, where it keeps sent mail, becomes
// Yggpost's Sent mailbox.
//
// Everything about src is checked before anything is written: a file
// that is not a Yggmail database, is damaged or in use, or whose key does
// not match the key already in cfg.Database, is refused. Running the
// import again stores nothing twice (see importer), so an import that was
// interrupted is finished by running it again.
func ImportYggmail(ctx context.Context, cfg Config, src string, progress func(ImportProgress)) (ImportSummary, error) {
	start := time.Now()
	in, err := yggmail.Open(ctx, src)
	if err != nil {
		return ImportSummary{}, err
	}
	defer in.Close()
	plan, err := planImport(ctx, in)
	if err != nil {
		return ImportSummary{}, fmt.Errorf("import %s: %w", src, err)
	}
	// The node must keep the largest message: Yggmail had no limit.
	cfg.MaxMessageSize = max(cfg.withDefaults().MaxMessageSize, plan.largest)
	if err := adoptKey(cfg, plan.key.Key); err != nil {
		return ImportSummary{}, err
	}
	n, err := Open(cfg)
	if err != nil {
		return ImportSummary{}, err
	}
	imp := &importer{node: n, store: n.store, in: in, plan: plan, progress: progress}
	imp.sum.Address, imp.sum.Mailboxes = n.addr, len(plan.boxes)
	err = imp.run(ctx)
	imp.sum.Duration = time.Since(start)
	if closeErr := n.Close(); err == nil && closeErr != nil {
		err = fmt.Errorf("close database: %w", closeErr)
	}
	return imp.sum, err
}

// importPlan is what ImportYggmail reads and checks before it writes.
type importPlan struct {
	key     yggmail.Identity
	addr    envelope.Address
	boxes   []yggmail.Mailbox
	queue   []yggmail.Queued
	total   ImportProgress // the totals
	largest int64          // the size of the largest message
}

// planImport reads the identity, the mailboxes and the queue, and checks
// every mailbox name, so that a name Yggpost cannot store stops the
// import before it starts.
func planImport(ctx context.Context, in *yggmail.DB) (importPlan, error) {
	var p importPlan
	var err error
	if p.key, err = in.Identity(ctx); err != nil {
		return p, err
	}
	if p.addr, err = envelope.AddressFromKey(p.key.Key.Public().(ed25519.PublicKey)); err != nil {
		return p, err
	}
	if p.boxes, err = in.Mailboxes(ctx); err != nil {
		return p, err
	}
	for _, b := range p.boxes {
		if _, err := mailbox.CanonName(targetName(b.Name, mailbox.Sent)); err != nil {
			return p, fmt.Errorf("Yggmail mailbox %q cannot be kept under that name: %w", b.Name, err)
		}
		p.total.TotalMessages += b.Messages
		p.total.TotalBytes += b.Bytes
		p.largest = max(p.largest, b.Largest)
	}
	p.queue, err = in.Queue(ctx)
	return p, err
}

// yggmailOutbox is where Yggmail keeps the mail the user sent.
const yggmailOutbox = "Outbox"

// targetName is the Yggpost mailbox that Yggmail's mailbox name becomes:
// the same name, except Outbox, which becomes the Sent mailbox, named
// sent: a mail client shows sent mail there, and the node keeps its own
// copies of sent mail there.
func targetName(name, sent string) string {
	if name == yggmailOutbox {
		return sent
	}
	return name
}

// adoptKey gives the database at cfg.Database the key key, unless it has
// a key already: the same key is fine (a second run), another is refused
// before anything else is written.
func adoptKey(cfg Config, key ed25519.PrivateKey) error {
	cfg = cfg.withDefaults()
	store, err := mailbox.Open(cfg.Database, mailbox.Options{Logger: cfg.Logger.With("component", "mailbox")})
	if err != nil {
		return fmt.Errorf("open database %s: %w", cfg.Database, err)
	}
	seed, err := store.Setting(settingKey)
	switch {
	case errors.Is(err, mailbox.ErrNotFound):
		err = store.SetSetting(settingKey, key.Seed())
	case err != nil:
		err = fmt.Errorf("read node key: %w", err)
	case !bytes.Equal(seed, key.Seed()):
		err = otherAddress(cfg.Database, seed, key)
	}
	return errors.Join(err, store.Close())
}

// otherAddress explains ErrOtherAddress with both addresses.
func otherAddress(db string, seed []byte, key ed25519.PrivateKey) error {
	have := "an unreadable key"
	if len(seed) == ed25519.SeedSize {
		a, _ := envelope.AddressFromKey(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
		have = a.String()
	}
	want, _ := envelope.AddressFromKey(key.Public().(ed25519.PublicKey))
	return fmt.Errorf("%w: %s is the database of %s, the Yggmail database is %s's; import into a new -database directory",
		ErrOtherAddress, db, have, want)
}
