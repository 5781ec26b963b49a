package envelope

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
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

// vectorEnvelope seals the test vector's message with the given sender
// record (nil for the version 1 vector).
func vectorEnvelope(t *testing.T, record []byte) []byte {
	eph, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var id ID
	for i := range id {
		id[i] = byte(i)
	}
	p := sealParams{sender: alice, from: addrOf(t, alice), to: addrOf(t, bob), id: id, created: epoch, eph: eph, record: record}
	var buf bytes.Buffer
	if _, err := p.seal(&buf, bytes.NewReader([]byte("Subject: hi\r\n\r\nhello\r\n"))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVector(t *testing.T) {
	got := vectorEnvelope(t, nil)
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

// The version 2 test vector of docs/envelope.md: the inputs of the version
// 1 vector plus a sender record of 32 bytes of 0x04.
const vectorV2Hex = "" +
	"59475045028139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f" +
	"5b8fc9b394000102030405060708090a0b0c0d0e0f5dfedd3b6bd47f6fa28ee1" +
	"5d969d5bb0ea53774d488bdaf9df1c6e0124b3ef22" +
	"000000395074637cb817076900325073dd754351e95e4c67493112b7467f0f89" +
	"3fc4bf944dbf95b488e1d48d621d298788359a840f29d39067893986e9" +
	"0000003160b2ea826972f9adf749f54fea59e7afb55c81c4484158ee0e0d4a7e" +
	"ad51786b23a8a9dc2d87606e251c21b7c905a47852" +
	"000000276e45df6c952d0adb529bbacb26c4e159e0d73243e456f6303ef6f762" +
	"4b392188b5852812d63de6" +
	"800000514f948d7e5c03c5e670b7f620f69c293be3f9e1b3af53dbc23836d58b" +
	"3299554d2f09f0d7f5ab993ccf112c89727abdd3dc40fb0979c2e0df1c929894" +
	"466972e4d8f706ab8f8c14f2c6503094b4b5d0f87d"

// Intermediate values of the version 2 vector that differ from version 1.
const (
	vectorSharedHex = "a0b1cfdbfb8263f16948ac77aaba7e4381fa6d1ba1e2b93d2b5db56dece4ae5d"
	vectorV2KeyHex  = "a916df82d1eaef7511f3b8a253ee02e60b2578a6491485383650a06247c8600f"
)

func TestVectorV2(t *testing.T) {
	record := bytes.Repeat([]byte{4}, 32)
	got := vectorEnvelope(t, record)
	want, err := hex.DecodeString(vectorV2Hex)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("version 2 test vector changed; the format is frozen.\ngot  %x", got)
	}
	if int64(len(want)) != SealedSizeWith(22, len(record)) {
		t.Fatalf("vector is %d bytes, SealedSizeWith says %d", len(want), SealedSizeWith(22, len(record)))
	}
	shared, _ := hex.DecodeString(vectorSharedHex)
	key, err := hkdf.Key(sha256.New, shared, want[:HeaderSize], kdfInfo, 32)
	if err != nil || hex.EncodeToString(key) != vectorV2KeyHex {
		t.Fatalf("payload key %x, %v; want %s", key, err, vectorV2KeyHex)
	}
	body, o, err := openAll(want, bob)
	if err != nil || string(body) != "Subject: hi\r\n\r\nhello\r\n" || o.Sender() != addrOf(t, alice) {
		t.Fatalf("open vector: %q, %v", body, err)
	}
	if o.Header().Version != Version2 || !bytes.Equal(o.Record(), record) {
		t.Fatalf("version %d, record %x", o.Header().Version, o.Record())
	}
}

// TestVectorsMatchDoc checks that the hex dumps in docs/envelope.md are the
// vectors above, so the document and the tests cannot drift apart.
func TestVectorsMatchDoc(t *testing.T) {
	doc, err := os.ReadFile("../docs/envelope.md")
	if err != nil {
		t.Skipf("docs/envelope.md not found next to the package: %v", err)
	}
	var dumps []string
	for _, part := range strings.Split(string(doc), "in hex:\n\n")[1:] {
		var hexText strings.Builder
		for _, line := range strings.Split(part, "\n") {
			if !strings.HasPrefix(line, "    ") {
				break
			}
			if l := strings.TrimSpace(line); !strings.HasPrefix(l, "#") {
				hexText.WriteString(l)
			}
		}
		dumps = append(dumps, hexText.String())
	}
	if len(dumps) != 2 || dumps[0] != vectorHex || dumps[1] != vectorV2Hex {
		t.Fatalf("docs/envelope.md has %d hex dumps that do not match the test vectors:\n%q", len(dumps), dumps)
	}
}
