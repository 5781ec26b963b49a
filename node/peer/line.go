package peer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// maxLine is the longest command or reply line accepted, CRLF included
	// (RFC 5321 section 4.5.3.1.4 allows 512 for commands; we allow more
	// and say so in docs/protocol.md).
	maxLine = 1000
	// maxDiscard bounds how much of an over-long line is skipped before the
	// stream is given up on.
	maxDiscard = 64 << 10
	// maxReplyLines bounds a multi-line reply.
	maxReplyLines = 64
)

var (
	errLineTooLong = errors.New("line too long")
	errNoCRLF      = errors.New("line not terminated by CRLF")
)

// readLine reads one CRLF-terminated line of at most maxLine octets and
// returns it without the CRLF; see readLineMax.
func readLine(br *bufio.Reader) (string, error) { return readLineMax(br, maxLine) }

// readLineMax reads one CRLF-terminated line of at most limit octets and
// returns it without the CRLF. An over-long line is consumed through its LF
// (up to maxDiscard) and reported as errLineTooLong; a line ending in a bare
// LF is reported as errNoCRLF. Both leave the reader at the next line.
func readLineMax(br *bufio.Reader, limit int) (string, error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(buf)+len(frag) > limit {
			return "", skipLine(br, frag, err)
		}
		buf = append(buf, frag...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
	if !bytes.HasSuffix(buf, []byte("\r\n")) {
		return "", errNoCRLF
	}
	return string(buf[:len(buf)-2]), nil
}

// skipLine discards the rest of an over-long line whose last fragment was
// frag (read with error err).
func skipLine(br *bufio.Reader, frag []byte, err error) error {
	skipped := 0
	for err != nil {
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
		if skipped += len(frag); skipped > maxDiscard {
			return fmt.Errorf("line longer than %d octets: %w", maxDiscard, io.ErrShortBuffer)
		}
		frag, err = br.ReadSlice('\n')
	}
	return errLineTooLong
}

// splitCommand splits "VERB args" into an upper-case verb and the rest.
func splitCommand(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), arg
}

// verbOf returns the upper-case verb of a command line.
func verbOf(line string) string {
	verb, _ := splitCommand(line)
	return verb
}
