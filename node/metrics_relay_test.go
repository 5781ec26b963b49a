package node

import (
	"context"
	"io"
	"testing"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/metrics"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/relay"
)

// refusingRelay answers every Admit and Deposit with err.
type refusingRelay struct {
	peer.RelayService
	err error
}

func (r refusingRelay) Admit(from, rcpt envelope.Address) error { return r.err }
func (r refusingRelay) Deposit(context.Context, envelope.Address, envelope.Address, int64, io.Reader) ([]byte, error) {
	return nil, r.err
}

// The relay role's refusals are counted under the reason the enhanced
// code names; a broken stream and success are no refusal.
func TestCountedRelayReasons(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&peer.Error{Code: 550, Enhanced: "5.1.1"}, metrics.RefusedNotMember},
		{&peer.Error{Code: 452, Enhanced: "4.2.2"}, metrics.RefusedQuota},
		{&peer.Error{Code: 452, Enhanced: "4.3.1"}, metrics.RefusedForwardQuota},
		{&peer.Error{Code: 552, Enhanced: "5.3.4"}, metrics.RefusedTooLarge},
		{&peer.Error{Code: 450, Enhanced: "4.7.1"}, metrics.RefusedRateLimited},
		{&peer.Error{Code: 451, Enhanced: "4.3.2"}, metrics.RefusedBusy},
		{&peer.Error{Code: 554, Enhanced: "5.6.0"}, metrics.RefusedMalformed},
		{&peer.Error{Code: 451, Enhanced: "4.3.0"}, metrics.RefusedStoreError},
		{&peer.Error{Code: 554, Enhanced: "5.9.9"}, metrics.RefusedOther},
		{io.ErrUnexpectedEOF, ""},
		{relay.ErrClosed, ""},
		{nil, ""},
	} {
		m := metrics.New(metrics.Sources{})
		r := countedRelay{RelayService: refusingRelay{err: c.err}, metrics: m}
		r.Admit(envelope.Address{}, envelope.Address{})
		r.Deposit(context.Background(), envelope.Address{}, envelope.Address{}, 0, nil)
		families, err := m.Gatherer().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() != "yggpost_relay_refusals_total" {
				continue
			}
			for _, s := range f.GetMetric() {
				reason, want := s.GetLabel()[0].GetValue(), 0.0
				if reason == c.want {
					want = 2
				}
				if got := s.GetCounter().GetValue(); got != want {
					t.Errorf("%v: reason %s counted %v, want %v", c.err, reason, got, want)
				}
			}
		}
	}
}
