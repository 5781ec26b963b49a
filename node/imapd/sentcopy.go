package imapd

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailheader"
)

// sentCopyKey reads the header block of an appended message from r and
// returns the store's de-duplication key for a copy of a sent message
// (mailbox.SentCopyKey of its mailheader.MessageID), or nil if the message
// has no usable Message-ID. Submission computes the key of its Sent copy
// the same way, so a client that sends a message and APPENDs it to Sent
// gets one copy. A header block longer than submission accepts
// (mailheader.DefaultMax) gets no key. The returned reader yields the
// whole message again.
func sentCopyKey(r io.Reader) (*[16]byte, io.Reader, error) {
	head, rest, err := mailheader.Read(r, mailheader.DefaultMax)
	if err != nil && !errors.Is(err, mailheader.ErrTooLarge) {
		return nil, nil, fmt.Errorf("read header of appended message: %w", err)
	}
	body := io.MultiReader(bytes.NewReader(head), rest)
	if err != nil {
		return nil, body, nil
	}
	key, ok := mailbox.SentCopyKey(mailheader.MessageID(head))
	if !ok {
		return nil, body, nil
	}
	return &key, body, nil
}
