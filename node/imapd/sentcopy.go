package imapd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/yggpost/yggpost/mailbox"
)

// maxKeyHeader bounds how much of an appended message is read ahead to find
// its Message-ID; a longer header block gets no de-duplication key.
const maxKeyHeader = 64 << 10

// sentCopyKey reads the header block of an appended message from r and
// returns the store's de-duplication key for a copy of a sent message
// (mailbox.SentCopyKey of its Message-ID), or nil if the message has no
// usable Message-ID. The returned reader yields the whole message again.
func sentCopyKey(r io.Reader) (*[16]byte, io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := readHeaderBlock(br, maxKeyHeader)
	if err != nil {
		return nil, nil, fmt.Errorf("read header of appended message: %w", err)
	}
	body := io.MultiReader(bytes.NewReader(head), br)
	key, ok := mailbox.SentCopyKey(messageIDOf(head))
	if !ok {
		return nil, body, nil
	}
	return &key, body, nil
}

// messageIDOf returns the Message-ID field of a header block, or "" if it
// has none. A malformed header yields what could be read before the fault.
func messageIDOf(head []byte) string {
	r := io.MultiReader(bytes.NewReader(head), strings.NewReader("\r\n"))
	h, _ := textproto.ReadHeader(bufio.NewReader(r))
	return strings.TrimSpace(h.Get("Message-Id"))
}
