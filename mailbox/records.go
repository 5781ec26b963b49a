package mailbox

import (
	"math"
	"slices"
	"time"
	"unicode/utf8"
)

// mailboxRec is the value under "b" + mailbox id.
type mailboxRec struct {
	id          uint32 // from the key, not encoded
	Name        string
	SpecialUse  string
	Subscribed  bool // from before the "u" table; only the migration reads it
	UIDValidity uint32
	UIDNext     uint32
	ModSeq      uint64
	Messages    uint32
	Unseen      uint32
	Size        int64
	// RecentUID is the highest UID an IMAP session has claimed as \Recent
	// (RFC 3501 2.3.2); messages above it are recent for the next session
	// to learn of them. It is written only when it is not UIDNEXT-1, so a
	// record with nothing recent is as before the field existed, and such
	// a record decodes with UIDNEXT-1: nothing is recent after an upgrade.
	RecentUID uint32
}

func (r *mailboxRec) encode() []byte {
	e := newEnc()
	e.str(r.Name)
	e.str(r.SpecialUse)
	e.bool(r.Subscribed)
	e.uint(uint64(r.UIDValidity))
	e.uint(uint64(r.UIDNext))
	e.uint(r.ModSeq)
	e.uint(uint64(r.Messages))
	e.uint(uint64(r.Unseen))
	e.int(r.Size)
	if r.RecentUID != r.UIDNext-1 {
		e.uint(uint64(r.RecentUID))
	}
	return e.b
}

func decodeMailbox(b []byte) (mailboxRec, error) {
	var r mailboxRec
	d := newDec(b)
	r.Name = d.str()
	r.SpecialUse = d.str()
	r.Subscribed = d.bool()
	r.UIDValidity = uint32(d.uint(math.MaxUint32))
	r.UIDNext = uint32(d.uint(math.MaxUint32))
	r.ModSeq = d.uint(math.MaxUint64)
	r.Messages = uint32(d.uint(math.MaxUint32))
	r.Unseen = uint32(d.uint(math.MaxUint32))
	r.Size = d.int()
	r.RecentUID = r.UIDNext - 1
	if len(d.b) > 0 { // written by a release that keeps the \Recent mark
		r.RecentUID = uint32(d.uint(math.MaxUint32))
	}
	if r.UIDNext == 0 && d.err == nil {
		d.fail("UIDNEXT 0")
	}
	if r.RecentUID >= r.UIDNext && d.err == nil {
		d.fail("recent UID past UIDNEXT")
	}
	if c, err := canonName(r.Name); d.err == nil && (err != nil || c != r.Name) {
		d.fail("bad mailbox name")
	}
	return r, d.done()
}

func (r *mailboxRec) public() Mailbox {
	return Mailbox{Name: r.Name, SpecialUse: r.SpecialUse, UIDValidity: r.UIDValidity}
}

func (r *mailboxRec) status() Status {
	return Status{
		Messages: r.Messages, Unseen: r.Unseen, UIDNext: r.UIDNext,
		UIDValidity: r.UIDValidity, HighestModSeq: r.ModSeq, Size: r.Size,
		RecentUID: r.RecentUID,
	}
}

// messageRec is the value under "i" + mailbox id + uid.
type messageRec struct {
	uid    uint32 // from the key, not encoded
	Flags  []string
	Size   int64
	Date   time.Time // in a fixed zone: UTC, or the offset it was given in (inZone)
	ModSeq uint64
	Blob   blobID
}

// maxZoneOffset bounds the zone offset of an internal date, in seconds:
// an IMAP date-time zone is at most 24 hours and 59 minutes either way.
const maxZoneOffset = 24*3600 + 59*60

// inZone returns t in a fixed zone of its own offset: UTC for offset 0,
// so that a date stored and read back equals the date given.
func inZone(t time.Time) time.Time {
	_, off := t.Zone()
	if off == 0 || off < -maxZoneOffset || off > maxZoneOffset {
		return t.UTC()
	}
	return t.In(time.FixedZone("", off))
}

// encode writes the zone offset of Date (seconds east of UTC) after the
// blob id, and only when it is not 0: a record with a UTC date is the
// same as before internal dates kept their zone.
func (r *messageRec) encode() []byte {
	e := newEnc()
	e.strs(r.Flags)
	e.int(r.Size)
	e.time(r.Date)
	e.uint(r.ModSeq)
	e.raw(r.Blob[:])
	if _, off := r.Date.Zone(); off != 0 && !r.Date.IsZero() {
		e.int(int64(off))
	}
	return e.b
}

func decodeMessage(b []byte) (messageRec, error) {
	var r messageRec
	d := newDec(b)
	r.Flags = d.strs()
	r.Size = d.int()
	r.Date = d.time()
	r.ModSeq = d.uint(math.MaxUint64)
	d.raw(r.Blob[:])
	if len(d.b) > 0 { // a date with a zone other than UTC
		off := d.int()
		if (off < -maxZoneOffset || off > maxZoneOffset || r.Date.IsZero()) && d.err == nil {
			d.fail("bad zone offset")
		}
		if d.err == nil && off != 0 {
			r.Date = r.Date.In(time.FixedZone("", int(off)))
		}
	}
	if r.Size < 0 && d.err == nil {
		d.fail("negative size")
	}
	if d.err == nil && !validFlags(r.Flags) {
		d.fail("bad flags")
	}
	return r, d.done()
}

// validFlags reports whether flags are as canonFlags leaves them.
func validFlags(flags []string) bool {
	c, err := canonFlags(flags)
	return err == nil && slices.Equal(c, flags)
}

func (r *messageRec) public() Message {
	return Message{UID: r.uid, Flags: append([]string(nil), r.Flags...), Size: r.Size, InternalDate: r.Date, ModSeq: r.ModSeq}
}

func (r *messageRec) seen() bool { return hasFlag(r.Flags, FlagSeen) }

// outboundRec is the value under "o" + envelope id.
type outboundRec struct {
	Recipient [32]byte
	Size      int64
	Created   time.Time
	Next      time.Time
	Attempts  int
	LastError string
	Blob      blobID
	// Fields added after the first release of the record; a record
	// without them decodes with zero values.
	SentCopy   [16]byte
	Custody    time.Time
	Custodians string
	Notified   bool
	// Added after the state fields; a record without it decodes with "".
	MessageID string
}

// keptMessageID is the Message-ID a record keeps of id: "" unless it is
// UTF-8 and fits a record's string.
func keptMessageID(id string) string {
	if len(id) > maxStringLen || !utf8.ValidString(id) {
		return ""
	}
	return id
}

// setState copies the fields that change while a message is queued.
func (r *outboundRec) setState(o Outbound) {
	r.Next, r.Attempts, r.LastError = o.NextAttempt.UTC(), o.Attempts, o.LastError
	r.SentCopy, r.Custodians, r.Notified = o.SentCopy, o.Custodians, o.Notified
	r.Custody = time.Time{}
	if !o.Custody.IsZero() {
		r.Custody = o.Custody.UTC()
	}
	if len(r.LastError) > maxStringLen {
		r.LastError = r.LastError[:maxStringLen]
	}
	if len(r.Custodians) > maxStringLen {
		r.Custodians = r.Custodians[:maxStringLen]
	}
}

func (r *outboundRec) encode() []byte {
	e := newEnc()
	e.raw(r.Recipient[:])
	e.int(r.Size)
	e.time(r.Created)
	e.time(r.Next)
	e.uint(uint64(r.Attempts))
	e.str(r.LastError)
	e.raw(r.Blob[:])
	e.raw(r.SentCopy[:])
	e.time(r.Custody)
	e.str(r.Custodians)
	e.bool(r.Notified)
	e.str(r.MessageID)
	return e.b
}

func decodeOutbound(b []byte) (outboundRec, error) {
	var r outboundRec
	d := newDec(b)
	d.raw(r.Recipient[:])
	r.Size = d.int()
	r.Created = d.time()
	r.Next = d.time()
	r.Attempts = int(d.uint(math.MaxInt32))
	r.LastError = d.str()
	d.raw(r.Blob[:])
	if len(d.b) > 0 { // written by a release that knows the state fields
		d.raw(r.SentCopy[:])
		r.Custody = d.time()
		r.Custodians = d.str()
		r.Notified = d.bool()
	}
	if len(d.b) > 0 { // written by a release that keeps the Message-ID
		r.MessageID = d.str()
	}
	if r.Size < 0 && d.err == nil {
		d.fail("negative size")
	}
	return r, d.done()
}

func (r *outboundRec) public(id [16]byte) Outbound {
	return Outbound{
		ID: id, Recipient: r.Recipient, Size: r.Size, Created: r.Created,
		NextAttempt: r.Next, Attempts: r.Attempts, LastError: r.LastError,
		SentCopy: r.SentCopy, Custody: r.Custody, Custodians: r.Custodians, Notified: r.Notified,
		MessageID: r.MessageID,
	}
}
