package conffile

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// sizeUnits are the suffixes ParseSize accepts, longest first so that
// "KiB" is tried before "B".
var sizeUnits = []struct {
	suffix string
	bytes  int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// errSizeSyntax explains what ParseSize accepts.
var errSizeSyntax = errors.New("want a whole number of bytes, optionally with a suffix KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000), e.g. 512MiB")

// ParseSize reads a positive size such as "1048576", "512MiB" or "2GB".
// Suffixes are matched without regard to case; a space may separate the
// number from the suffix.
func ParseSize(s string) (int64, error) {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range sizeUnits {
		if len(num) > len(u.suffix) && strings.EqualFold(num[len(num)-len(u.suffix):], u.suffix) {
			num, mult = strings.TrimSpace(num[:len(num)-len(u.suffix)]), u.bytes
			break
		}
	}
	if num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return 0, errSizeSyntax
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	if n == 0 {
		return 0, errors.New("must be at least 1 byte")
	}
	return n * mult, nil
}

// FormatSize writes n with the largest binary suffix that divides it
// exactly, so that ParseSize(FormatSize(n)) == n.
func FormatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		bytes  int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.bytes && n%u.bytes == 0 {
			return strconv.FormatInt(n/u.bytes, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// errDurationSyntax explains what ParseDuration accepts.
var errDurationSyntax = errors.New(`want a Go duration such as 36h or 90m, a number of days such as 14d, or both such as 1d12h`)

// ParseDuration reads a positive duration: a Go duration ("36h", "90m"), a
// whole number of days ("14d"), or days followed by a Go duration
// ("1d12h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days time.Duration
	if before, after, ok := strings.Cut(s, "d"); ok {
		if before == "" || strings.TrimLeft(before, "0123456789") != "" {
			return 0, errDurationSyntax
		}
		n, err := strconv.ParseInt(before, 10, 64)
		if err != nil || n > int64(math.MaxInt64/(24*time.Hour)) {
			return 0, fmt.Errorf("%q is too long", s)
		}
		days, s = time.Duration(n)*24*time.Hour, after
	}
	var rest time.Duration
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, errDurationSyntax
		}
		rest = d
	}
	if rest > math.MaxInt64-days {
		return 0, errors.New("too long")
	}
	if days+rest <= 0 {
		return 0, errors.New("must be longer than zero")
	}
	return days + rest, nil
}

// FormatDuration writes d as ParseDuration reads it, in days when it is a
// whole number of days.
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// Size is a number of bytes, written in the file as a string ParseSize
// reads ("64MiB") or as a plain number.
type Size int64

// MarshalText writes s as FormatSize does, so that -genconf prints "64MiB".
func (s Size) MarshalText() ([]byte, error) { return []byte(FormatSize(int64(s))), nil }

// UnmarshalText reads s with ParseSize.
func (s *Size) UnmarshalText(b []byte) error {
	n, err := ParseSize(string(b))
	*s = Size(n)
	return err
}

// Duration is a length of time, written in the file as a string
// ParseDuration reads ("5d", "36h"); a bare number is refused, since it
// would not say its unit.
type Duration time.Duration

// MarshalText writes d as FormatDuration does.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(FormatDuration(time.Duration(d))), nil
}

// UnmarshalText reads d with ParseDuration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	*d = Duration(v)
	return err
}
