package chunkstore

import "io"

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func ioMulti(rs ...io.Reader) io.Reader { return io.MultiReader(rs...) }
