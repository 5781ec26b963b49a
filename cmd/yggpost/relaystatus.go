package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/yggpost/yggpost/relay"
)

// relayStatusInterval is how often a running relay logs its figures.
const relayStatusInterval = 10 * time.Minute

// relayStatusSource is what the status report reads: a node that becomes
// ready and then has relay figures (*node.Node).
type relayStatusSource interface {
	Ready() <-chan struct{}
	RelayStatus() (relay.Status, bool)
}

// reportRelayStatus logs one "relay status" line once src is ready and,
// every interval after, one more if the figures changed (an idle relay
// logs nothing); it writes the figures as a table to stdout each time a
// signal arrives on sig (nil: never), until ctx ends. It returns at once
// if src runs no relay.
func reportRelayStatus(ctx context.Context, src relayStatusSource, interval time.Duration, sig <-chan os.Signal, log *slog.Logger, stdout io.Writer) {
	select {
	case <-ctx.Done():
		return
	case <-src.Ready():
	}
	st, ok := src.RelayStatus()
	if !ok {
		return
	}
	log.Info("relay status", relayStatusAttrs(st)...)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			// One line per change: an idle relay logs nothing.
			if now, _ := src.RelayStatus(); now != st {
				st = now
				log.Info("relay status", relayStatusAttrs(st)...)
			}
		case <-sig:
			st, _ = src.RelayStatus()
			if err := writeRelayStatus(stdout, st); err != nil {
				log.Warn("print relay status", "err", err)
			}
		}
	}
}

// relayStatusAttrs are the figures of st as slog key-value pairs.
func relayStatusAttrs(st relay.Status) []any {
	return []any{
		"members", st.Members, "envelopes", st.Envelopes, "bytes", st.Bytes,
		"forwarding", st.Forwarding, "forwarding_bytes", st.ForwardingBytes,
		"deposits", st.Deposits, "duplicates", st.Duplicates, "refused", st.Refused,
		"hand_overs", st.HandOvers, "forwarded", st.Forwarded,
		"dropped", st.Dropped, "expired", st.Expired,
	}
}

// writeRelayStatus writes st as a small table for an operator.
func writeRelayStatus(w io.Writer, st relay.Status) error {
	if _, err := fmt.Fprintf(w, "relay status at %s\n", time.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("write relay status: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rows := []struct{ name, value, note string }{
		{"members", itoa(st.Members), "registered"},
		{"envelopes held", itoa(st.Envelopes), "all recipients"},
		{"bytes held", strconv.FormatInt(st.Bytes, 10), humanBytes(st.Bytes)},
		{"held for forwarding", itoa(st.Forwarding), "envelopes for non-members"},
		{"bytes for forwarding", strconv.FormatInt(st.ForwardingBytes, 10), humanBytes(st.ForwardingBytes)},
		{"deposits", utoa(st.Deposits), "taken into custody since start"},
		{"duplicates", utoa(st.Duplicates), "deposits of an envelope already held"},
		{"refused", utoa(st.Refused), "deposits refused"},
		{"hand-overs", utoa(st.HandOvers), "acknowledged by their member"},
		{"forwarded", utoa(st.Forwarded), "passed on to another node"},
		{"dropped", utoa(st.Dropped), "dropped by their member"},
		{"expired", utoa(st.Expired), "deleted at the end of retention"},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.name, r.value, r.note)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write relay status: %w", err)
	}
	return nil
}

func itoa(n int) string    { return strconv.Itoa(n) }
func utoa(n uint64) string { return strconv.FormatUint(n, 10) }

// humanBytes writes n in the largest binary unit that keeps it at 1 or
// more, with one decimal.
func humanBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f, i = f/1024, i+1
	}
	if i == 0 {
		return strconv.FormatInt(n, 10) + " B"
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + units[i]
}
