package mailheader

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/yggpost/yggpost/envelope"
)

// Errors about a message's header block and its From field.
var (
	ErrNoFrom       = errors.New("message has no From header")
	ErrFromMismatch = errors.New("From header does not match the signing sender")
	ErrBadHeader    = errors.New("malformed message header")
	// ErrFromAddress is an ErrBadHeader: the From field does not name
	// exactly one node address.
	ErrFromAddress = fmt.Errorf("%w: From must name one node address", ErrBadHeader)
)

// addressParser parses address lists (RFC 5322 §3.4). Encoded words in
// display names in charsets Go does not know are passed through
// undecoded: only the addresses matter here.
var addressParser = mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(_ string, input io.Reader) (io.Reader, error) { return input, nil },
}}

// Addresses returns the addresses (local@domain) in every field called
// one of names, or an error if one of those fields is not an address list
// (RFC 5322 §3.4). Empty fields are skipped.
func Addresses(block []byte, names ...string) ([]string, error) {
	var addrs []string
	for _, name := range names {
		for _, v := range Values(block, name) {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			list, err := addressParser.ParseList(v)
			if err != nil {
				return nil, fmt.Errorf("parse %s field %q: %w", name, v, err)
			}
			for _, a := range list {
				addrs = append(addrs, a.Address)
			}
		}
	}
	return addrs, nil
}

// From returns the node address in the From field of a header block
// (RFC 5322 §3.6.2). The block must consist of fields only (see the
// package comment) and have exactly one From field, naming one node
// address; errors wrap ErrNoFrom, ErrBadHeader or ErrFromAddress.
func From(block []byte) (envelope.Address, error) {
	if err := wellFormed(block); err != nil {
		return envelope.Address{}, err
	}
	values := Values(block, "From")
	switch {
	case len(values) == 0 || len(values) == 1 && strings.TrimSpace(values[0]) == "":
		return envelope.Address{}, ErrNoFrom
	case len(values) > 1:
		return envelope.Address{}, fmt.Errorf("%w: %d From fields, want one", ErrBadHeader, len(values))
	}
	list, err := addressParser.ParseList(strings.TrimSpace(values[0]))
	if err != nil {
		return envelope.Address{}, fmt.Errorf("%w: From %q: %v", ErrBadHeader, values[0], err)
	}
	if len(list) != 1 {
		return envelope.Address{}, fmt.Errorf("%w, it names %d", ErrFromAddress, len(list))
	}
	a, err := envelope.ParseAddress(list[0].Address)
	if err != nil {
		return envelope.Address{}, fmt.Errorf("%w: %q: %v", ErrFromAddress, list[0].Address, err)
	}
	return a, nil
}

// wellFormed returns an ErrBadHeader if a line of the header block is
// neither a field nor the continuation of one.
func wellFormed(block []byte) error {
	n, inField := 0, false
	for l := range lines(block) {
		n++
		switch {
		case l.kind == lineField:
			inField = true
		case l.kind == lineOther, l.kind == lineContinuation && !inField:
			return fmt.Errorf("%w: line %d is not a field: %q", ErrBadHeader, n, trimBreak(l.raw))
		}
	}
	return nil
}
