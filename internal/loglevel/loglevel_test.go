package loglevel

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLevelsPerComponentChangeWhileLogging(t *testing.T) {
	var buf bytes.Buffer
	levels := New(slog.LevelInfo)
	log := slog.New(levels.Handler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug - 4})))
	outbox, imap := log.With("component", "outbox"), log.With("component", "imap")
	emit := func() string {
		buf.Reset()
		log.Debug("root debug")
		log.Info("root info")
		outbox.Debug("outbox debug")
		imap.Debug("imap debug")
		imap.Warn("imap warn")
		return buf.String()
	}
	if got := emit(); strings.Contains(got, "debug") || !strings.Contains(got, "root info") || !strings.Contains(got, "imap warn") {
		t.Errorf("at info:\n%s", got)
	}
	levels.Set(slog.LevelWarn, map[string]slog.Level{"outbox": slog.LevelDebug})
	got := emit()
	if !strings.Contains(got, "outbox debug") || strings.Contains(got, "root info") || strings.Contains(got, "imap debug") || !strings.Contains(got, "imap warn") {
		t.Errorf("outbox at debug, the rest at warn:\n%s", got)
	}
	// A logger made after the change gets the component's level too.
	buf.Reset()
	log.With("component", "outbox").Debug("late outbox debug")
	if !strings.Contains(buf.String(), "late outbox debug") {
		t.Errorf("a new outbox logger dropped debug: %q", buf.String())
	}
	if s := levels.String(); s != "default=WARN outbox=DEBUG" {
		t.Errorf("String() = %q", s)
	}
	levels.Set(slog.LevelInfo, nil)
	if got := emit(); strings.Contains(got, "outbox debug") || !strings.Contains(got, "root info") {
		t.Errorf("back to info:\n%s", got)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, " warn ": slog.LevelWarn, "error": slog.LevelError} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := Parse("loud"); err == nil || !strings.Contains(err.Error(), "loud") {
		t.Errorf("Parse(loud): %v", err)
	}
}
