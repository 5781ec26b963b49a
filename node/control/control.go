// Package control owns a node's control socket: a unix socket in the
// database directory, open to its owner only, through which the commands
// of the yggpost binary reach the node that runs on that database (Badger
// lets one process open it). A command that finds no node there works on
// the database itself.
//
// The protocol, one command per connection: the client sends a Request as
// one line of JSON; the server answers one line of JSON, {"ok":true} or
// {"error":"..."}, and after an ok the command's output until it closes
// the connection. A command whose output is cut short (the node stopped,
// the disk failed) ends the connection early; outputs that must be whole
// carry their own end mark (a backup's trailer).
package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// SocketName is the control socket's file name in the database directory.
const SocketName = "control.sock"

// maxRequest bounds a request line.
const maxRequest = 64 << 10

// ErrNotRunning means no node answers on the socket: none runs on the
// database.
var ErrNotRunning = errors.New("no node is running on this database")

// SocketPath returns the control socket's path for a database directory.
func SocketPath(database string) string { return filepath.Join(database, SocketName) }

// Request is one command to the node.
type Request struct {
	Command string            `json:"command"`
	Args    map[string]string `json:"args,omitempty"`
}

type reply struct {
	OK    bool   `json:"ok,omitempty"`
	Error string `json:"error,omitempty"`
}

// A Handler runs one command and writes its output to w. An error returned
// before anything was written is the client's error reply; after, the
// connection just ends.
type Handler func(ctx context.Context, args map[string]string, w io.Writer) error

// Server serves the control socket.
type Server struct {
	ln       *net.UnixListener
	path     string
	log      *slog.Logger
	mu       sync.Mutex
	handlers map[string]Handler
	ready    <-chan struct{} // commands wait for it; nil: none
	conns    sync.WaitGroup
}

// Listen creates the control socket at path, mode 0600. A socket file
// nobody answers on (left by a node that was killed) is replaced; one a
// node answers on is an error.
func Listen(path string, log *slog.Logger) (*Server, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: another node answers on it", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("control socket %s: remove the stale one: %w", path, err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return &Server{ln: ln, path: path, log: log, handlers: map[string]Handler{}}, nil
}

// Handle registers the handler of a command.
func (s *Server) Handle(command string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[command] = h
}

// WaitFor makes commands wait until ready is closed (the node finished
// starting) before they run; call it before Serve.
func (s *Server) WaitFor(ready <-chan struct{}) { s.ready = ready }

// Serve answers connections until ctx ends, then waits for the commands
// in progress; it removes the socket file when it returns.
func (s *Server) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.ln.Close() })
	defer stop()
	defer s.conns.Wait()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("control socket: %w", err)
		}
		s.conns.Go(func() { s.serveConn(ctx, c) })
	}
}

// Close closes the listener and removes the socket file.
func (s *Server) Close() error {
	err := s.ln.Close() // a UnixListener unlinks its file on Close
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func (s *Server) serveConn(ctx context.Context, c *net.UnixConn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	req, err := readRequest(c)
	if err != nil {
		writeReply(c, reply{Error: err.Error()})
		return
	}
	if s.ready != nil {
		select {
		case <-s.ready:
		case <-ctx.Done():
			writeReply(c, reply{Error: "the node is stopping"})
			return
		}
	}
	s.mu.Lock()
	h := s.handlers[req.Command]
	s.mu.Unlock()
	if h == nil {
		writeReply(c, reply{Error: fmt.Sprintf("unknown command %q", req.Command)})
		return
	}
	out := &replyWriter{c: c}
	if err := h(ctx, req.Args, out); err != nil {
		if !out.started {
			writeReply(c, reply{Error: err.Error()})
		}
		s.log.Warn("control command failed", "command", req.Command, "err", err)
		return
	}
	if !out.started {
		writeReply(c, reply{OK: true})
	}
}

func readRequest(c net.Conn) (Request, error) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	line, err := bufio.NewReaderSize(io.LimitReader(c, maxRequest), 4096).ReadBytes('\n')
	if err != nil {
		return Request{}, fmt.Errorf("read request: %w", err)
	}
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		return Request{}, fmt.Errorf("request is not JSON: %w", err)
	}
	return req, nil
}

func writeReply(w io.Writer, r reply) error {
	b, _ := json.Marshal(r)
	_, err := w.Write(append(b, '\n'))
	return err
}

// replyWriter sends the ok reply before a command's first output.
type replyWriter struct {
	c       net.Conn
	started bool
}

func (w *replyWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		if err := writeReply(w.c, reply{OK: true}); err != nil {
			return 0, err
		}
	}
	return w.c.Write(p)
}

// Call sends a command to the node on database and returns its output,
// which the caller reads to the end and closes. With no node running it
// returns ErrNotRunning.
func Call(database string, req Request) (io.ReadCloser, error) {
	c, err := net.DialTimeout("unix", SocketPath(database), 5*time.Second)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		return nil, ErrNotRunning
	}
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	line, _ := json.Marshal(req)
	if _, err := c.Write(append(line, '\n')); err != nil {
		c.Close()
		return nil, fmt.Errorf("control socket: send %s: %w", req.Command, err)
	}
	br := bufio.NewReader(c)
	head, err := br.ReadBytes('\n')
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("control socket: %s: no answer: %w", req.Command, err)
	}
	var r reply
	if err := json.Unmarshal(head, &r); err != nil || !r.OK && r.Error == "" {
		c.Close()
		return nil, fmt.Errorf("control socket: %s: unreadable answer %q", req.Command, head)
	}
	if !r.OK {
		c.Close()
		return nil, fmt.Errorf("%s: %s", req.Command, r.Error)
	}
	return readCloser{br, c}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
