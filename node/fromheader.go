package node

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/yggpost/yggpost/envelope"
)

// maxHeaderBytes bounds the header block read before a message is accepted.
const maxHeaderBytes = 256 << 10

// Errors about a message's From header.
var (
	ErrNoFrom       = errors.New("message has no From header")
	ErrFromMismatch = errors.New("From header does not match the signing sender")
	ErrHeaderTooBig = errors.New("message header block too large")
	ErrBadHeader    = errors.New("malformed message header")
)

// readHeaderFrom reads the header block of msg, returns the single address in
// its From field and a reader that yields the whole message unchanged.
func readHeaderFrom(msg io.Reader) (envelope.Address, io.Reader, error) {
	from, _, whole, err := readHeaderBlock(msg)
	return from, whole, err
}

// readHeaderBlock is readHeaderFrom that also returns the header block.
func readHeaderBlock(msg io.Reader) (envelope.Address, []byte, io.Reader, error) {
	br := bufio.NewReaderSize(msg, 32<<10)
	head, err := readHead(br)
	if err != nil {
		return envelope.Address{}, nil, nil, err
	}
	from, err := fromAddress(head)
	if err != nil {
		return envelope.Address{}, nil, nil, err
	}
	return from, head, io.MultiReader(bytes.NewReader(head), br), nil
}

// readHeaderOnly reads the header block of msg (up to and including the
// empty line that ends it), at most maxHeaderBytes.
func readHeaderOnly(msg io.Reader) ([]byte, error) {
	return readHead(bufio.NewReaderSize(msg, 32<<10))
}

func readHead(br *bufio.Reader) ([]byte, error) {
	var head bytes.Buffer
	for {
		line, err := br.ReadSlice('\n')
		head.Write(line)
		if head.Len() > maxHeaderBytes {
			return nil, ErrHeaderTooBig
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read message header: %w", err)
		}
		if err != nil || len(bytes.TrimRight(line, "\r\n")) == 0 {
			return head.Bytes(), nil
		}
	}
}

// fromAddress parses the From field of a header block.
func fromAddress(head []byte) (envelope.Address, error) {
	// A copy: the header block must stay as it was for the message itself.
	block := append(bytes.Clone(bytes.TrimRight(head, "\r\n")), "\r\n\r\n"...)
	m, err := mail.ReadMessage(bytes.NewReader(block))
	if err != nil {
		return envelope.Address{}, fmt.Errorf("%w: %v", ErrBadHeader, err)
	}
	field := strings.TrimSpace(m.Header.Get("From"))
	if field == "" {
		return envelope.Address{}, ErrNoFrom
	}
	list, err := mail.ParseAddressList(field)
	if err != nil {
		return envelope.Address{}, fmt.Errorf("%w: From %q: %v", ErrBadHeader, field, err)
	}
	if len(list) != 1 {
		return envelope.Address{}, fmt.Errorf("%w: From names %d addresses, want one", ErrBadHeader, len(list))
	}
	a, err := envelope.ParseAddress(list[0].Address)
	if err != nil {
		return envelope.Address{}, fmt.Errorf("%w: From: %w", ErrBadHeader, err)
	}
	return a, nil
}
