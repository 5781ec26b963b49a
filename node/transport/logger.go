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
type yggLogger struct {
	log *slog.Logger
}

func (l yggLogger) emit(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, strings.TrimSpace(msg), "component", "yggdrasil")
}

func (l yggLogger) Printf(f string, a ...any) { l.emit(slog.LevelDebug, fmt.Sprintf(f, a...)) }
func (l yggLogger) Println(a ...any)          { l.emit(slog.LevelDebug, fmt.Sprintln(a...)) }
func (l yggLogger) Infof(f string, a ...any)  { l.emit(slog.LevelDebug, fmt.Sprintf(f, a...)) }
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
