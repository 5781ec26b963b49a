package tlscert

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// maxFileSize bounds a certificate or key file; real ones are a few KiB.
const maxFileSize = 1 << 20

// loadFiles reads the user's certificate and key. Its errors name the file
// at fault and say what is wrong with it.
func loadFiles(certFile, keyFile string) (*served, error) {
	certPEM, err := readFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("read TLS certificate file: %w", err)
	}
	chain, err := parseChain(certPEM)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate file %q: %w", certFile, err)
	}
	keyPEM, err := readFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read TLS key file: %w", err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("TLS key file %q: %w", keyFile, err)
	}
	cert, err := pair(chain, key)
	if err != nil {
		return nil, fmt.Errorf("TLS key file %q and certificate file %q: %w", keyFile, certFile, err)
	}
	return cert, nil
}

// readFile reads a file of at most maxFileSize bytes. Its errors name the
// file (those of package os do).
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: %w", name, errTooLarge)
	}
	return data, nil
}

var errTooLarge = errors.New("larger than 1 MiB, so not a PEM certificate or key")
