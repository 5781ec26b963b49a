package metrics

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts of the HTTP server. They arm only while a scraper is
// connected: with nobody scraping the server waits in Accept and wakes
// nothing.
const (
	readHeaderTimeout = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
)

// Server serves /metrics, and nothing else, on a listener of its own.
type Server struct {
	ln   net.Listener
	http *http.Server
}

// Listen binds addr ("host:port"; port 0 picks a free one) for h, which
// is served at /metrics; other paths get 404. It starts nothing: call
// Serve.
func Listen(addr string, h http.Handler, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return &Server{ln: ln, http: srv}, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers scrapes until Close and returns nil then.
func (s *Server) Serve() error {
	err := s.http.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve metrics on %s: %w", s.ln.Addr(), err)
}

// Close stops the server and its connections; Serve returns. It may be
// called before Serve.
func (s *Server) Close() error {
	err := s.http.Close()
	s.ln.Close() // Serve may not have taken it yet
	return err
}
