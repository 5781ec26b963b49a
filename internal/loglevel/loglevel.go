// Package loglevel owns the log levels of a node's components: a default
// level and one per component (the "component" attribute that the node's
// parts log with), all changeable while the node runs, so that a reload
// can turn one part's detail up without restarting or flooding the log.
package loglevel

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
)

// Levels holds the levels. The zero value is not usable; use New.
type Levels struct {
	def slog.LevelVar

	mu   sync.Mutex
	vars map[string]*slog.LevelVar // per component, created on first use
	set  map[string]bool           // components with a level of their own
}

// New returns levels with the default level def.
func New(def slog.Level) *Levels {
	l := &Levels{vars: map[string]*slog.LevelVar{}, set: map[string]bool{}}
	l.def.Set(def)
	return l
}

// Set makes def the default level and per the levels of the components it
// names; the other components follow the default.
func (l *Levels) Set(def slog.Level, per map[string]slog.Level) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.def.Set(def)
	l.set = map[string]bool{}
	for name, v := range l.vars {
		if lv, ok := per[name]; ok {
			v.Set(lv)
			l.set[name] = true
		} else {
			v.Set(def)
		}
	}
	for name, lv := range per {
		if l.vars[name] == nil {
			l.vars[name] = &slog.LevelVar{}
			l.vars[name].Set(lv)
			l.set[name] = true
		}
	}
}

// of returns the level variable of a component.
func (l *Levels) of(component string) *slog.LevelVar {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := l.vars[component]
	if v == nil {
		v = &slog.LevelVar{}
		v.Set(l.def.Level())
		l.vars[component] = v
	}
	return v
}

// Handler wraps h so that each record is kept or dropped by the level of
// its component, or the default level without one. h itself should let
// every level through (slog.LevelDebug - 4 or lower).
func (l *Levels) Handler(h slog.Handler) slog.Handler {
	return &handler{inner: h, levels: l, level: &l.def}
}

type handler struct {
	inner  slog.Handler
	levels *Levels
	level  slog.Leveler
}

func (h *handler) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= h.level.Level() && h.inner.Enabled(ctx, lv)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error { return h.inner.Handle(ctx, r) }

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := &handler{inner: h.inner.WithAttrs(attrs), levels: h.levels, level: h.level}
	for _, a := range attrs {
		if a.Key == "component" {
			out.level = h.levels.of(a.Value.String())
		}
	}
	return out
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{inner: h.inner.WithGroup(name), levels: h.levels, level: h.level}
}

// Parse reads a level name: debug, info, warn (or warning), error.
func Parse(s string) (slog.Level, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(strings.TrimSpace(s)))); err != nil {
		return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return lv, nil
}

// String lists the default level and the components with their own.
func (l *Levels) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	parts := []string{"default=" + l.def.Level().String()}
	var names []string
	for name := range l.set {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		parts = append(parts, name+"="+l.vars[name].Level().String())
	}
	return strings.Join(parts, " ")
}
