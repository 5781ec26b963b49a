package imapd

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// FuzzEnvelope builds ENVELOPE from any header block: it never panics,
// and every address list is well formed for RFC 3501 7.4.2: groups open
// and close in pairs, and no other address lacks a host or a mailbox.
func FuzzEnvelope(f *testing.F) {
	for _, s := range []string{
		"To: undisclosed-recipients:;\r\nCc: Friends: a@b.c, \"B\" <d@e.f>;\r\n\r\n",
		"From: <user (c)@ (c) domain.org>\r\nSubject: =?utf-8?q?x?=\r\n\r\n",
		"From: a:b:c;;,<>\r\nIn-Reply-To: <a> <b\r\nDate: x\r\n",
		"From: \"unterminated\r\n (comment\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, block []byte) {
		env := envelopeOf(block)
		for _, list := range [][]imap.Address{env.From, env.Sender, env.ReplyTo, env.To, env.Cc, env.Bcc} {
			open := false
			for _, a := range list {
				switch {
				case a.IsGroupStart() && !open:
					open = true
				case a.IsGroupEnd() && open:
					open = false
				case a.Host == "" || a.Mailbox == "":
					t.Fatalf("address %+v in %+v", a, list)
				}
			}
			if open {
				t.Fatalf("group left open in %+v", list)
			}
		}
	})
}

// FuzzTransferDecode: decoding never fails on the data, gives the same
// bytes however the input is split into writes, and undoes Go's own
// base64 and quoted-printable encoders exactly.
func FuzzTransferDecode(f *testing.F) {
	f.Add([]byte("aGVsbG8=\r\ngarbage"), uint8(3))
	f.Add([]byte("soft=\r\nbreak =3D =3d =ZZ trailing  \r\nend="), uint8(5))
	f.Add([]byte("\x00\xff=\r=\n= \r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		for _, cte := range []string{"base64", "quoted-printable", "7bit"} {
			whole := decodeAll(t, cte, data, len(data)+1)
			if pieces := decodeAll(t, cte, data, int(split)+1); !bytes.Equal(whole, pieces) {
				t.Fatalf("%s of %q: whole %q, in pieces of %d %q", cte, data, whole, int(split)+1, pieces)
			}
		}
		var b64 bytes.Buffer
		enc := base64.NewEncoder(base64.StdEncoding, &b64)
		enc.Write(data)
		enc.Close()
		if got := decodeAll(t, "base64", []byte(lines76(b64.String())), int(split)+1); !bytes.Equal(got, data) {
			t.Fatalf("base64 round trip of %q: %q", data, got)
		}
		var qp bytes.Buffer
		qw := quotedprintable.NewWriter(&qp)
		qw.Binary = true
		qw.Write(data)
		qw.Close()
		if got := decodeAll(t, "quoted-printable", qp.Bytes(), int(split)+1); !bytes.Equal(got, data) {
			t.Fatalf("quoted-printable round trip of %q via %q: %q", data, qp.Bytes(), got)
		}
	})
}

func decodeAll(t *testing.T, cte string, data []byte, piece int) []byte {
	var out bytes.Buffer
	dec, err := transferDecoder(cte, &out)
	if err != nil {
		t.Fatal(err)
	}
	for len(data) > 0 {
		n := min(piece, len(data))
		if _, err := dec.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	if err := dec.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// FuzzStructure reads any message as BODYSTRUCTURE and BINARY do: it never
// panics, and every part BODYSTRUCTURE describes can be found by its
// number.
func FuzzStructure(f *testing.F) {
	f.Add([]byte(binaryMessage))
	f.Add([]byte("Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: x\r\n\r\n--d--\r\n"))
	f.Add([]byte("Content-Type: message/rfc822\r\n\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\na\r\n--x--"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		bs := partStructure(readEntity(bytes.NewReader(msg)), 0)
		var check func(bs imap.BodyStructure, path []int)
		check = func(bs imap.BodyStructure, path []int) {
			if len(path) > 4 {
				return
			}
			if _, ok := locate(bytes.NewReader(msg), path); !ok && len(path) > 0 {
				t.Fatalf("part %v of %q not found", path, msg)
			}
			switch bs := bs.(type) {
			case *imap.BodyStructureMultiPart:
				for i, c := range bs.Children {
					check(c, append(path[:len(path):len(path)], i+1))
				}
			case *imap.BodyStructureSinglePart:
				if m := bs.MessageRFC822; m != nil && len(path) > 0 {
					if mp, ok := m.BodyStructure.(*imap.BodyStructureMultiPart); ok {
						check(mp, path)
					}
				}
			}
		}
		check(bs, nil)
		var n counter
		if e, ok := locate(bytes.NewReader(msg), []int{1}); ok {
			if dec, err := transferDecoder(e.transferEncoding(), &n); err == nil {
				_, _ = io.Copy(dec, e.body)
				_ = dec.Close()
			}
		}
	})
}
