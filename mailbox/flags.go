package mailbox

import (
	"fmt"
	"slices"
	"strings"
)

// maxKeywordLen bounds one keyword in bytes; maxMessageFlags bounds the
// flags of one message.
const (
	maxKeywordLen   = 128
	maxMessageFlags = 64
)

var systemFlags = []string{FlagAnswered, FlagDeleted, FlagDraft, FlagFlagged, FlagSeen}

// canonFlags validates flags and returns them sorted, deduplicated and in
// canonical spelling: system flags as in the constants, keywords as given
// (compared without regard to case). \Recent is dropped.
func canonFlags(flags []string) ([]string, error) {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		c, err := canonFlag(f)
		if err != nil {
			return nil, err
		}
		if c != "" && !hasFlag(out, c) {
			out = append(out, c)
		}
	}
	if len(out) > maxMessageFlags {
		return nil, fmt.Errorf("%w: more than %d flags", ErrBadFlag, maxMessageFlags)
	}
	slices.Sort(out)
	return out, nil
}

func canonFlag(f string) (string, error) {
	if strings.HasPrefix(f, `\`) {
		if strings.EqualFold(f, `\Recent`) {
			return "", nil
		}
		for _, s := range systemFlags {
			if strings.EqualFold(f, s) {
				return s, nil
			}
		}
		return "", fmt.Errorf("%w: %q is not a system flag", ErrBadFlag, f)
	}
	if f == "" || len(f) > maxKeywordLen {
		return "", fmt.Errorf("%w: keyword %q", ErrBadFlag, f)
	}
	for i := 0; i < len(f); i++ {
		if c := f[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return "", fmt.Errorf("%w: keyword %q", ErrBadFlag, f)
		}
	}
	return f, nil
}

// hasFlag reports whether flags holds f, ignoring case.
func hasFlag(flags []string, f string) bool {
	return slices.ContainsFunc(flags, func(x string) bool { return strings.EqualFold(x, f) })
}

// applyFlags computes the new flag set of one message.
func applyFlags(cur []string, op FlagOp, flags []string) []string {
	switch op {
	case FlagsReplace:
		return append([]string(nil), flags...)
	case FlagsAdd:
		out := append([]string(nil), cur...)
		for _, f := range flags {
			if !hasFlag(out, f) {
				out = append(out, f)
			}
		}
		slices.Sort(out)
		return out
	default: // FlagsRemove
		return slices.DeleteFunc(append([]string(nil), cur...), func(x string) bool { return hasFlag(flags, x) })
	}
}
