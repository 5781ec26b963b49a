package main

import (
	"flag"

	"github.com/yggpost/yggpost/node"
)

// metricsFlags holds -metrics, the address of the Prometheus endpoint.
type metricsFlags struct {
	addr string
}

func (f *metricsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "metrics", "", "serve metrics in the Prometheus text format at http://`address`/metrics, e.g. 127.0.0.1:9464 (no authentication: keep it on loopback or a trusted network); default off")
}

// apply passes the address to the node, which binds it when it starts.
func (f *metricsFlags) apply(cfg *node.Config) { cfg.Metrics = f.addr }
