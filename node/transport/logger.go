package transport

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// yggLogger adapts slog to the logger interface of yggdrasil-go's core and
// multicast packages. Yggdrasil's chatter (info, debug, trace) goes to Debug
// so it never floods the user's log; its warnings and errors go to Warn.
//
// It is also the only event yggdrasil offers for peering links: the core
// logs "Connected inbound|outbound: ..." (format linkUpFormat) once a
// link's handshake is done, and onLinkUp is called then; it logs
// "Disconnected ..." (linkDownFormat, or linkDownErrorFormat with the
// error) exactly once for each of those when the link ends, and onLinkDown
// is called then. The alternative, polling GetPeers, races inside ironwood
// (its Debug.GetPeers reads latency fields owned by another actor); tests
// prove both hooks fire.
type yggLogger struct {
	log        *slog.Logger
	onLinkUp   func()
	onLinkDown func()
}

// The format strings yggdrasil-go v0.5.14's core logs at Info when a
// peering link comes up and when it ends (src/core/link.go, links.handler).
const (
	linkUpFormat        = "Connected %s: %s, source %s"
	linkDownFormat      = "Disconnected %s: %s, source %s"
	linkDownErrorFormat = "Disconnected %s: %s, source %s; error: %s"
)

func (l yggLogger) emit(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, strings.TrimSpace(msg), "component", "yggdrasil")
}

func (l yggLogger) Printf(f string, a ...any) { l.emit(slog.LevelDebug, fmt.Sprintf(f, a...)) }
func (l yggLogger) Println(a ...any)          { l.emit(slog.LevelDebug, fmt.Sprintln(a...)) }
func (l yggLogger) Infof(f string, a ...any) {
	l.emit(slog.LevelDebug, fmt.Sprintf(f, a...))
	switch {
	case f == linkUpFormat && l.onLinkUp != nil:
		l.onLinkUp()
	case (f == linkDownFormat || f == linkDownErrorFormat) && l.onLinkDown != nil:
		l.onLinkDown()
	}
}
func (l yggLogger) Infoln(a ...any)           { l.emit(slog.LevelDebug, fmt.Sprintln(a...)) }
func (l yggLogger) Debugf(f string, a ...any) { l.emit(slog.LevelDebug, fmt.Sprintf(f, a...)) }
func (l yggLogger) Debugln(a ...any)          { l.emit(slog.LevelDebug, fmt.Sprintln(a...)) }
func (l yggLogger) Traceln(a ...any)          { l.emit(slog.LevelDebug, fmt.Sprintln(a...)) }
func (l yggLogger) Warnf(f string, a ...any)  { l.emit(slog.LevelWarn, fmt.Sprintf(f, a...)) }
func (l yggLogger) Warnln(a ...any)           { l.emit(slog.LevelWarn, fmt.Sprintln(a...)) }
func (l yggLogger) Errorf(f string, a ...any) { l.emit(slog.LevelWarn, fmt.Sprintf(f, a...)) }
func (l yggLogger) Errorln(a ...any)          { l.emit(slog.LevelWarn, fmt.Sprintln(a...)) }

// discardLogger returns l, or a logger that drops everything when l is nil.
func discardLogger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}
