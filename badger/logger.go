package badger

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	badgerdb "github.com/dgraph-io/badger/v4"
)

// slogLogger adapts a *slog.Logger to badger.Logger. Badger's levels map to
// slog's: ERROR, WARNING, INFO and DEBUG to Error, Warn, Info and Debug. A
// line is formatted only when the handler wants its level.
type slogLogger struct{ l *slog.Logger }

// newLogger returns the badger.Logger writing to l, or discarding
// everything when l is nil.
func newLogger(l *slog.Logger) badgerdb.Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return slogLogger{l.With(slog.String("component", "badger"))}
}

func (s slogLogger) log(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return
	}
	s.l.Log(ctx, level, strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}

func (s slogLogger) Errorf(format string, args ...any)   { s.log(slog.LevelError, format, args) }
func (s slogLogger) Warningf(format string, args ...any) { s.log(slog.LevelWarn, format, args) }
func (s slogLogger) Infof(format string, args ...any)    { s.log(slog.LevelInfo, format, args) }
func (s slogLogger) Debugf(format string, args ...any)   { s.log(slog.LevelDebug, format, args) }
