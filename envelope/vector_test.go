package envelope

import (
	"bytes"
	"crypto/ecdh"
	"encoding/hex"
	"testing"
)

// The test vector of docs/envelope.md: sender seed 32×0x01, recipient seed
// 32×0x02, ephemeral X25519 private key 32×0x03, ID 00 01 … 0f, created
// 2026-11-22T05:30:00Z, body "Subject: hi\r\n\r\nhello\r\n".
const vectorHex = "" +
	"59475045018139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f" +
	"5b8fc9b394000102030405060708090a0b0c0d0e0f5dfedd3b6bd47f6fa28ee1" +
	"5d969d5bb0ea53774d488bdaf9df1c6e0124b3ef22" +
	"000000394b94b3bfe7d03dc7616e40c927394245db5569c9cfb901051a456d1a" +
	"2af918a36aea50974a76092399ddef2bfca237a037639c2e09859625c9" +
	"000000272b1674ff83b6857b36c60a46868554dcb35e1549c55c76758e1bc465" +
	"3ad568c259b4661c3a18b2" +
	"8000005143abe87dff8a7088e8fbae8e53623cf480318d330de6ff5fc2ff568e" +
	"4a64ccbaf3773f399272fffa17e094402a985d1c3509e71a2b1d91129c50db8c" +
	"2ca1be2c8271249d4932f03f4e9c763a7f0ce6240a"

func vectorEnvelope(t *testing.T) []byte {
	eph, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var id ID
	for i := range id {
		id[i] = byte(i)
	}
	p := sealParams{sender: alice, from: addrOf(t, alice), to: addrOf(t, bob), id: id, created: epoch, eph: eph}
	var buf bytes.Buffer
	if _, err := p.seal(&buf, bytes.NewReader([]byte("Subject: hi\r\n\r\nhello\r\n"))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVector(t *testing.T) {
	got := vectorEnvelope(t)
	want, err := hex.DecodeString(vectorHex)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("test vector changed; the format is frozen for version 1.\ngot  %x", got)
	}
	body, o, err := openAll(want, bob)
	if err != nil || string(body) != "Subject: hi\r\n\r\nhello\r\n" || o.Sender() != addrOf(t, alice) {
		t.Fatalf("open vector: %q, %v", body, err)
	}
}
