package node

import (
	"context"
	"fmt"
	"io"

	"github.com/yggpost/yggpost/node/control"
)

// buildControl opens the control socket, if the node serves one, with its
// commands:
//
//	backup   the backup file of the node's databases (Backup)
//	address  the node's mail address, one line
func (n *Node) buildControl() error {
	if !n.cfg.Control {
		return nil
	}
	ctl, err := control.Listen(control.SocketPath(n.cfg.Database), n.log.With("component", "control"))
	if err != nil {
		return err
	}
	ctl.Handle("backup", func(_ context.Context, _ map[string]string, w io.Writer) error {
		return n.Backup(w)
	})
	ctl.Handle("address", func(_ context.Context, _ map[string]string, w io.Writer) error {
		_, err := fmt.Fprintln(w, n.addr.String())
		return err
	})
	n.ctl = ctl
	return nil
}
