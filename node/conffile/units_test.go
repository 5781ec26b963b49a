package conffile

import (
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1": 1, "1048576": 1 << 20, "7B": 7, "1KiB": 1024, "64MiB": 64 << 20, "1GiB": 1 << 30,
		"2TiB": 2 << 40, "1KB": 1000, "500MB": 500e6, "3GB": 3e9, "1TB": 1e12,
		"1gib": 1 << 30, "10 mib": 10 << 20, " 5kb ": 5000, "08MiB": 8 << 20,
		"8388607TiB": 8388607 << 40,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, why := range map[string]string{
		"": "whole number", "MiB": "whole number", "1.5GiB": "whole number", "-1": "whole number",
		"+1": "whole number", "1XB": "whole number", "1 G": "whole number", "0": "at least 1 byte",
		"0GiB": "at least 1 byte", "9223372036854775808": "too large", "1TiB1": "whole number",
		"8388608TiB": "too large", "99999999999999999999GB": "too large", "1e6": "whole number",
	} {
		got, err := ParseSize(in)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("ParseSize(%q) = %d, %v; want an error saying %q", in, got, err, why)
		}
	}
}

func TestFormatSizeRoundTrips(t *testing.T) {
	for n, want := range map[int64]string{1: "1", 1023: "1023", 1024: "1KiB", 1536: "1536", 1 << 30: "1GiB", 64 << 20: "64MiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
		if back, err := ParseSize(FormatSize(n)); err != nil || back != n {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", n, back, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	for in, want := range map[string]time.Duration{
		"14d": 14 * day, "1d": day, "1d12h": day + 12*time.Hour, "36h": 36 * time.Hour,
		"90m": 90 * time.Minute, "1s": time.Second, " 2d ": 2 * day, "0d1h": time.Hour, "1d0s": day,
		"106751d": 106751 * day,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, why := range map[string]string{
		"": "longer than zero", "0": "longer than zero", "0d": "longer than zero", "0s": "longer than zero",
		"d": "Go duration", "1.5d": "Go duration", "-1d": "Go duration", "-3h": "Go duration",
		"1d-3h": "Go duration", "14": "Go duration", "2w": "Go duration", "1h2d": "Go duration",
		"1d2d": "Go duration", "106752d": "too long", "106751d24h": "too long",
		"99999999999999999999d": "too long",
	} {
		got, err := ParseDuration(in)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("ParseDuration(%q) = %v, %v; want an error saying %q", in, got, err, why)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{14 * 24 * time.Hour: "14d", 36 * time.Hour: "36h0m0s", time.Minute: "1m0s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzParseSize: ParseSize never panics, accepts only positive sizes, and
// what it accepts survives FormatSize.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1", "64MiB", "1 gb", "0", "-1", "9223372036854775807", "8388607TiB", "1.5GiB", "KiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 1 {
			t.Fatalf("ParseSize(%q) = %d, want positive", s, n)
		}
		if back, err := ParseSize(FormatSize(n)); err != nil || back != n {
			t.Fatalf("ParseSize(FormatSize(%d)) = %d, %v", n, back, err)
		}
	})
}

// FuzzParseDuration: ParseDuration never panics, accepts only positive durations,
// and what it accepts survives FormatDuration.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"14d", "1d12h", "36h", "0d", "-1h", "106751d", "1.5d", "d", "1h2d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d <= 0 {
			t.Fatalf("ParseDuration(%q) = %v, want positive", s, d)
		}
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Fatalf("ParseDuration(FormatDuration(%v)) = %v, %v", d, back, err)
		}
	})
}
