package configs

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// envPrefix starts the variable of every key.
const envPrefix = "WARROOM_"

// envKey is one field of Config that an environment variable sets.
type envKey struct {
	name   string // the variable: WARROOM_HTTP_ADDR, SLACK_BOT_TOKEN
	key    string // the key in the file, http.addr; empty for a secret
	index  []int  // where the field is, from Config
	secret bool   // set from the environment only, tagged `env:"NAME"`
}

// envKeys lists, once, every field the environment can set. Fields are
// found through their yaml tags, so a section added later gets variables
// without more code.
var envKeys = sync.OnceValue(func() []envKey {
	var keys []envKey
	collectEnvKeys(reflect.TypeFor[Config](), nil, nil, &keys)
	return keys
})

// collectEnvKeys appends to keys the fields of struct type t that the
// environment can set; p and index say where t is.
func collectEnvKeys(t reflect.Type, p path, index []int, keys *[]envKey) {
	for i := range t.NumField() {
		f := t.Field(i)
		fi := append(index[:len(index):len(index)], i)
		if !f.IsExported() {
			continue
		}
		if name := f.Tag.Get("env"); name != "" {
			*keys = append(*keys, envKey{name: name, index: fi, secret: true})
			continue
		}

		name, inline := yamlTag(f)
		switch {
		case name == "":
		case inline && f.Type.Kind() == reflect.Struct:
			collectEnvKeys(f.Type, p, fi, keys)
		case f.Type.Kind() == reflect.Struct && !isText(f.Type):
			collectEnvKeys(f.Type, p.with(name), fi, keys)
		case settable(f.Type):
			kp := p.with(name).String()
			*keys = append(*keys, envKey{name: envName(kp), key: kp, index: fi})
		}
	}
}

// envName is the variable of a key: http.read_timeout is
// WARROOM_HTTP_READ_TIMEOUT.
func envName(key string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// EnvVars lists every environment variable Load reads, the WARROOM_ ones
// and the secrets. A program may warn of a WARROOM_ variable in its
// environment that is not listed: Load ignores it.
func EnvVars() []string {
	var names []string
	for _, k := range envKeys() {
		names = append(names, k.name)
	}
	return names
}

var (
	durationType      = reflect.TypeFor[time.Duration]()
	textUnmarshalType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// isText reports whether values of t parse themselves from text.
func isText(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(textUnmarshalType)
}

// settable reports whether one environment variable can hold a value of t.
func settable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	}
	return isText(t)
}

// applyEnv sets the fields whose variables env returns a value for. A value
// that does not parse leaves the field as it was and becomes a problem
// Validate reports.
func (c *Config) applyEnv(env func(string) string) {
	c.fromEnv, c.envProblems = setFromEnv(reflect.ValueOf(c).Elem(), envKeys(), env)
}

// setFromEnv sets the fields keys of root name from env. It returns the
// keys it set with their variables, and the values it could not use.
func setFromEnv(root reflect.Value, keys []envKey, env func(string) string) (
	set map[string]string, problems []string) {
	for _, k := range keys {
		raw := env(k.name)
		if raw == "" {
			continue
		}

		if err := setString(root.FieldByIndex(k.index), raw); err != nil {
			shown := strconv.Quote(raw)
			if k.secret {
				shown = "the value"
			}
			problems = append(problems, fmt.Sprintf("%s: %s %s", k.name, shown, err))
			continue
		}
		if k.key != "" {
			if set == nil {
				set = map[string]string{}
			}
			set[k.key] = k.name
		}
	}
	return set, problems
}

// errNot is a parse failure, worded to follow the value: `"x" is not ...`.
type errNot string

func (e errNot) Error() string { return "is not " + string(e) }

// setString parses raw into v, a value of a type settable accepts.
func setString(v reflect.Value, raw string) error {
	if isText(v.Type()) {
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText(
			[]byte(raw)); err != nil {
			return errNot("valid: " + err.Error())
		}
		return nil
	}

	switch t := v.Type(); {
	case t == durationType:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return errNot("a duration such as 30s or 5m")
		}
		v.SetInt(int64(d))
	case t.Kind() == reflect.String:
		v.SetString(raw)
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return errNot("true or false")
		}
		v.SetBool(b)
	case v.CanInt():
		n, err := strconv.ParseInt(raw, 10, t.Bits())
		if err != nil {
			return errNot("a whole number")
		}
		v.SetInt(n)
	case v.CanUint():
		n, err := strconv.ParseUint(raw, 10, t.Bits())
		if err != nil {
			return errNot("a whole number of 0 or more")
		}
		v.SetUint(n)
	case v.CanFloat():
		f, err := strconv.ParseFloat(raw, t.Bits())
		if err != nil {
			return errNot("a number")
		}
		v.SetFloat(f)
	case t.Kind() == reflect.Slice:
		v.Set(splitList(raw, t))
	}
	return nil
}

// splitList parses a comma-separated list into a slice of type t; spaces
// around items and empty items are dropped.
func splitList(raw string, t reflect.Type) reflect.Value {
	list := reflect.MakeSlice(t, 0, strings.Count(raw, ",")+1)
	for item := range strings.SplitSeq(raw, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = reflect.Append(list, reflect.ValueOf(item).Convert(t.Elem()))
		}
	}
	return list
}
