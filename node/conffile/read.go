package conffile

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/hjson/hjson-go/v4"
)

// MaxFileSize bounds what Read takes in: a configuration is a few
// kilobytes, and anything near this is not one.
const MaxFileSize = 1 << 20

// Error is one thing a configuration file gets wrong.
type Error struct {
	File string // the file's name as the user gave it, or "stdin"
	Key  string // the key's path, such as Relay.QuotaBytes or Peers[2]; empty for a syntax error
	Err  error  // the reason
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.File, e.Key, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Read reads a configuration file from r; name is how errors call it.
func Read(name string, r io.Reader) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Err: fmt.Errorf("larger than %d bytes: not a configuration file", MaxFileSize)}
	}
	return Parse(name, data)
}

// Parse reads the configuration in data over Default, refusing unknown
// keys, values of the wrong type and values their parser refuses.
func Parse(name string, data []byte) (*File, error) {
	root, err := parseHJSON(data)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	f := Default()
	err = decode("", root, reflect.ValueOf(f).Elem(), "")
	if err == nil {
		err = f.check()
	}
	var e *Error
	if errors.As(err, &e) {
		e.File = name
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// parseHJSON reads data into an ordered tree, so that the first mistake
// reported is the first in the file, and numbers stay exact.
func parseHJSON(data []byte) (*hjson.OrderedMap, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a byte order mark some editors write
	if len(bytes.TrimSpace(data)) == 0 {
		return hjson.NewOrderedMap(), nil
	}
	var root *hjson.OrderedMap
	opts := hjson.DefaultDecoderOptions()
	opts.UseJSONNumber = true
	err := hjson.UnmarshalWithOptions(data, &root, opts)
	switch {
	case err != nil && strings.HasPrefix(err.Error(), "Cannot unmarshal into hjson.OrderedMap"):
		return nil, errors.New("a single value at the top: want keys and values, such as Peers: [...]")
	case err != nil && !strings.Contains(err.Error(), " at line "):
		// hjson gives no position when the input ran out.
		return nil, fmt.Errorf("%w at the end of the file", err)
	case err != nil:
		return nil, err
	}
	return root, nil
}

// decode sets dst from v, the value the file gives for key; check names
// the parser a string must pass (the field's `check` tag).
func decode(key string, v any, dst reflect.Value, check string) error {
	if _, ok := dst.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return decodeText(key, v, dst)
	}
	switch dst.Kind() {
	case reflect.Struct:
		return decodeStruct(key, v, dst)
	case reflect.Slice:
		return decodeList(key, v, dst, check)
	case reflect.Map:
		return decodeMap(key, v, dst, check)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return wrongType(key, v, dst.Type())
		}
		dst.SetString(s)
		return runCheck(key, check, s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return wrongType(key, v, dst.Type())
		}
		dst.SetBool(b)
		return nil
	case reflect.Int:
		return decodeInt(key, v, dst)
	}
	panic(fmt.Sprintf("conffile: %s has a type the file format has no syntax for: %s", key, dst.Type()))
}

// decodeStruct reads a section (the whole file, or Relay) key by key in
// the file's order.
func decodeStruct(key string, v any, dst reflect.Value) error {
	om, ok := v.(*hjson.OrderedMap)
	if !ok {
		return wrongType(key, v, dst.Type())
	}
	for _, name := range om.Keys {
		path := joinKey(key, name)
		field, ok := dst.Type().FieldByName(name)
		if !ok || !field.IsExported() || name == "" {
			return &Error{Key: path, Err: unknownKey(dst.Type(), name)}
		}
		if err := decode(path, om.Map[name], dst.FieldByIndex(field.Index), field.Tag.Get("check")); err != nil {
			return err
		}
	}
	return nil
}

// unknownKey says a key is not in the section, and which one was meant
// when only its case is wrong.
func unknownKey(section reflect.Type, name string) error {
	for i := range section.NumField() {
		if f := section.Field(i); strings.EqualFold(f.Name, name) {
			return fmt.Errorf("unknown key (did you mean %s? keys are case-sensitive)", f.Name)
		}
	}
	return errors.New("unknown key (yggpost -genconf prints them all)")
}

// decodeList reads a list of strings; it replaces the default, so a file
// can empty a list.
func decodeList(key string, v any, dst reflect.Value, check string) error {
	items, ok := v.([]any)
	if !ok {
		return wrongType(key, v, dst.Type())
	}
	list := reflect.MakeSlice(dst.Type(), len(items), len(items))
	for i, item := range items {
		if err := decode(fmt.Sprintf("%s[%d]", key, i), item, list.Index(i), check); err != nil {
			return err
		}
	}
	dst.Set(list)
	return nil
}

// decodeMap reads an object of strings (LogLevels); it replaces the
// default.
func decodeMap(key string, v any, dst reflect.Value, check string) error {
	om, ok := v.(*hjson.OrderedMap)
	if !ok {
		return wrongType(key, v, dst.Type())
	}
	m := reflect.MakeMapWithSize(dst.Type(), len(om.Keys))
	for _, name := range om.Keys {
		elem := reflect.New(dst.Type().Elem()).Elem()
		if err := decode(joinKey(key, name), om.Map[name], elem, check); err != nil {
			return err
		}
		m.SetMapIndex(reflect.ValueOf(name), elem)
	}
	dst.Set(m)
	return nil
}

// decodeInt reads a whole number.
func decodeInt(key string, v any, dst reflect.Value) error {
	n, ok := v.(json.Number)
	if !ok {
		return wrongType(key, v, dst.Type())
	}
	i, err := strconv.ParseInt(string(n), 10, 0)
	if err != nil {
		return &Error{Key: key, Err: fmt.Errorf("%s: want a whole number", n)}
	}
	dst.SetInt(i)
	return nil
}

// decodeText reads a Size or a Duration through its UnmarshalText; a Size
// may also be a bare number of bytes.
func decodeText(key string, v any, dst reflect.Value) error {
	s, ok := v.(string)
	if n, isNumber := v.(json.Number); isNumber && dst.Type() == reflect.TypeFor[Size]() {
		s, ok = string(n), true
	}
	if !ok {
		return wrongType(key, v, dst.Type())
	}
	if err := dst.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
		return &Error{Key: key, Err: fmt.Errorf("%q: %w", s, err)}
	}
	return nil
}

func runCheck(key, check, s string) error {
	if check == "" {
		return nil
	}
	if err := checks[check](s); err != nil {
		return &Error{Key: key, Err: err}
	}
	return nil
}

func joinKey(section, name string) string {
	if section == "" {
		return name
	}
	return section + "." + name
}

// wrongType says what the file gave and what the key takes.
func wrongType(key string, v any, want reflect.Type) error {
	return &Error{Key: key, Err: fmt.Errorf("%s given, want %s", kind(v), describe(want))}
}

// kind names an HJSON value's type as a user wrote it.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true or false"
	case []any:
		return "a list"
	case *hjson.OrderedMap:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// describe says what a key of type t takes, for error messages.
func describe(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Size]():
		return `a size such as "64MiB" or a number of bytes`
	case reflect.TypeFor[Duration]():
		return `a duration such as "5d" or "36h"`
	}
	switch t.Kind() {
	case reflect.Struct:
		return "an object of keys"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(describe(t.Elem()), "a ") + "s"
	case reflect.Map:
		return "an object whose values are each " + describe(t.Elem())
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "a whole number"
	}
	return "a string"
}
