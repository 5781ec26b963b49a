package conffile

import (
	"github.com/hjson/hjson-go/v4"
)

// header opens every generated file: how to use it, before what is in it.
const header = `# Yggpost configuration (HJSON: JSON with comments, optional quotes and
# commas). Every setting is here with its default; change what you need.
# Run the node with: yggpost -useconffile THIS-FILE
# A flag given on the command line overrides the setting of the same name.
# Sizes are "64MiB", "1GB" or a number of bytes; durations "5d", "36h".

`

// Generate returns the text -genconf prints: Default with every key
// documented.
func Generate() []byte {
	out, err := hjson.MarshalWithOptions(Default(), encoderOptions())
	if err != nil {
		// Default is a fixed value of types the encoder knows: an
		// error here is a bug in this package, not in any input.
		panic("conffile: encode the default file: " + err.Error())
	}
	return append([]byte(header), append(out, '\n')...)
}

func encoderOptions() hjson.EncoderOptions {
	opts := hjson.DefaultOptions()
	opts.Comments = true
	opts.QuoteAlways = true // a value such as 0.0.0.0:993 then reads the same in JSON
	return opts
}
