package main

import "github.com/yggpost/yggpost/node/conffile"

// The flags read sizes and durations exactly as the configuration file
// does: node/conffile owns the one parser of each format.
var (
	parseSize  = conffile.ParseSize
	formatSize = conffile.FormatSize
	parseDays  = conffile.ParseDuration
	formatDays = conffile.FormatDuration
)
