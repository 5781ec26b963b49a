package node_test

import (
	"errors"
	"testing"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
)

func TestCheckPassword(t *testing.T) {
	store, err := mailbox.Open(t.TempDir(), mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := node.CheckPassword(store, "anything"); !errors.Is(err, node.ErrNoPassword) {
		t.Errorf("before a password is set: %v, want ErrNoPassword", err)
	}
	if err := node.SetPassword(store, "s3cret"); err != nil {
		t.Fatal(err)
	}
	if err := node.CheckPassword(store, "s3cret"); err != nil {
		t.Errorf("right password: %v", err)
	}
	for _, wrong := range []string{"", "S3cret", "s3cret "} {
		if err := node.CheckPassword(store, wrong); !errors.Is(err, node.ErrBadLogin) {
			t.Errorf("password %q: %v, want ErrBadLogin", wrong, err)
		}
	}
}
