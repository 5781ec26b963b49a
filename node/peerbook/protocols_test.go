package peerbook

import (
	"log/slog"
	"testing"

	"github.com/yggpost/yggpost/mailbox"
)

func TestProtocolsRememberAndNeverDowngrade(t *testing.T) {
	dir := t.TempDir()
	store, err := mailbox.Open(dir, mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := newProtocols(store, slog.New(slog.DiscardHandler))
	classic, modern := testAddr(t, 1), testAddr(t, 2)
	if got := p.get(classic); got != Unknown {
		t.Fatalf("unknown peer: %s", got)
	}
	if !p.learn(classic, Classic) || !p.learn(modern, Yggpost) {
		t.Fatal("first learning refused")
	}
	if p.learn(modern, Classic) {
		t.Fatal("a YGGPOST peer was downgraded to classic")
	}
	if !p.learn(classic, Yggpost) {
		t.Fatal("a classic peer that upgraded was refused")
	}
	store.Close()

	store, err = mailbox.Open(dir, mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p = newProtocols(store, slog.New(slog.DiscardHandler))
	if got := p.get(modern); got != Yggpost {
		t.Errorf("after restart: %s, want yggpost", got)
	}
	if got := p.get(classic); got != Yggpost {
		t.Errorf("after restart the upgraded peer is %s, want yggpost", got)
	}
	if p.learn(modern, Classic) {
		t.Error("after restart a YGGPOST peer was downgraded")
	}
}
