package peer

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// custodyWord opens the text of the 250 reply to a deposit's BDAT; the
// base64 custody receipt follows it.
const custodyWord = "custody"

// deposit hands a chunk for a relay member to the RelayService and answers
// with the custody receipt, only once the service has returned it.
func (s *session) deposit(tx *transaction, n int64) error {
	return s.storeChunk(n, func(r io.Reader) reply {
		receipt, err := s.srv.Relay.Deposit(s.ctx, s.peer, tx.rcpt, n, r)
		if err == nil || errors.Is(err, ErrDuplicate) {
			text, ferr := custodyText(receipt)
			if ferr == nil {
				s.log.Debug("envelope in custody", "size", n, "rcpt", tx.rcpt.String())
				return reply{250, "2.0.0", []string{text}}
			}
			err = fmt.Errorf("relay service returned a bad receipt: %w", ferr)
		}
		return s.receiveReply(n, err)
	})
}

// custodyText formats the reply text that carries a custody receipt.
func custodyText(receipt []byte) (string, error) {
	if len(receipt) == 0 || len(receipt) > maxReceipt {
		return "", fmt.Errorf("custody receipt of %d octets, want 1 to %d", len(receipt), maxReceipt)
	}
	return custodyWord + " " + base64.StdEncoding.EncodeToString(receipt), nil
}

// maxReceipt bounds a custody receipt so that its reply line stays within
// maxLine: "250 2.0.0 custody " and CRLF leave room for 972 base64 octets.
const maxReceipt = 720

// parseCustody extracts the receipt from the text of a deposit's 250 reply
// (after the enhanced status code): "custody <base64>".
func parseCustody(text string) ([]byte, error) {
	word, b64, ok := strings.Cut(text, " ")
	if !ok || !strings.EqualFold(word, custodyWord) {
		return nil, fmt.Errorf("parse custody reply %q: no custody receipt", truncate(text))
	}
	b64, _, _ = strings.Cut(b64, " ") // text after the receipt is ignored
	if len(b64) > base64.StdEncoding.EncodedLen(maxReceipt) {
		return nil, fmt.Errorf("parse custody reply: receipt longer than %d octets", maxReceipt)
	}
	receipt, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("parse custody reply %q: %w", truncate(text), err)
	}
	if len(receipt) == 0 || len(receipt) > maxReceipt {
		return nil, fmt.Errorf("parse custody reply %q: receipt of %d octets, want 1 to %d", truncate(text), len(receipt), maxReceipt)
	}
	return receipt, nil
}
