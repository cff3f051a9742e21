package configs

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yaml.v3 reports each problem as "line N: what"; an unknown key as
// "field K not found in type T"; a value of the wrong kind as "cannot
// unmarshal !!tag `value` into T", the value left out for lists and
// mappings.
var (
	yamlLine     = regexp.MustCompile(`^line (\d+): (.*)$`)
	yamlNotFound = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	yamlMismatch = regexp.MustCompile("^cannot unmarshal (\\S+)( `.*`)? into (.+)$")
)

// explain rewrites the problems yaml.v3 found in data so that they speak of
// the config's keys ("http.addr") rather than of Go types.
func explain(data []byte, te *yaml.TypeError) error {
	var root yaml.Node
	idx := keyIndex{keys: map[lineKey]path{}, lines: map[int]path{},
		hints: map[lineKey]string{}}
	if yaml.Unmarshal(data, &root) == nil {
		idx.walk(&root, reflect.TypeFor[Config](), nil)
	}

	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		msgs = append(msgs, idx.explain(e))
	}
	return problemsError(msgs)
}

// problemsError joins problems into one error.
func problemsError(msgs []string) error {
	if len(msgs) == 1 {
		return errors.New(msgs[0])
	}
	return fmt.Errorf("%d problems: %s", len(msgs), strings.Join(msgs, "; "))
}

// path is a key's place in the config, one segment a key or an "[i]".
type path []string

// String writes the path as incidents.severities[1].name.
func (p path) String() string {
	var b strings.Builder
	for i, s := range p {
		if i > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// with returns a new path of p and one more segment.
func (p path) with(seg string) path {
	return append(p[:len(p):len(p)], seg)
}

// common returns the longest path both p and q start with.
func (p path) common(q path) path {
	n := 0
	for n < len(p) && n < len(q) && p[n] == q[n] {
		n++
	}
	return p[:n:n]
}

// lineKey is a key as written on a line of the file.
type lineKey struct {
	line int
	key  string
}

// keyIndex says which key of the config each line of a file is about.
type keyIndex struct {
	keys  map[lineKey]path   // every key written at a struct position
	lines map[int]path       // the most precise path all of a line is about
	hints map[lineKey]string // how to set a key that is not in the file
}

// walk indexes node, which sits where a value of type t goes, at p.
// Aliases are not followed: what they point to was indexed where it was
// written.
func (x *keyIndex) walk(n *yaml.Node, t reflect.Type, p path) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}

	switch {
	case n.Kind == yaml.DocumentNode && len(n.Content) == 1:
		x.walk(n.Content[0], t, p)

	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				x.walk(v, t, p) // a merge: its keys belong here
				continue
			}
			kp := p.with(k.Value)
			x.keys[lineKey{k.Line, k.Value}] = kp
			x.mark(k.Line, kp)
			if f, ok := fieldByKey(t, k.Value); ok {
				x.walk(v, f.Type, kp)
			} else if name := secretVar(t, k.Value); name != "" {
				x.hints[lineKey{k.Line, k.Value}] = fmt.Sprintf(
					"secrets come from the environment only: set %s", name)
			}
		}

	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, item := range n.Content {
			ip := p.with("[" + strconv.Itoa(i) + "]")
			x.mark(item.Line, ip)
			x.walk(item, t.Elem(), ip)
		}
	}
}

// mark records that line is about p. A line about a key and a key under it
// is about the deeper one; a line about two unrelated keys is about what
// they share.
func (x *keyIndex) mark(line int, p path) {
	old, ok := x.lines[line]
	switch {
	case !ok || len(old.common(p)) == len(old):
		x.lines[line] = p
	case len(old.common(p)) < len(p):
		x.lines[line] = old.common(p)
	}
}

// explain rewrites one yaml.v3 problem.
func (x *keyIndex) explain(msg string) string {
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	line, _ := strconv.Atoi(m[1])
	what := m[2]

	if nf := yamlNotFound.FindStringSubmatch(what); nf != nil {
		lk := lineKey{line, nf[1]}
		key := nf[1]
		if p, ok := x.keys[lk]; ok {
			key = p.String()
		}
		msg = fmt.Sprintf("line %d: unknown key %q", line, key)
		if hint := x.hints[lk]; hint != "" {
			msg += ": " + hint
		}
		return msg
	}
	if mm := yamlMismatch.FindStringSubmatch(what); mm != nil {
		what = mismatch(mm[1], strings.TrimSpace(mm[2]), mm[3])
	}
	if p := x.lines[line]; len(p) > 0 {
		return fmt.Sprintf("line %d: %s: %s", line, p, what)
	}
	return fmt.Sprintf("line %d: %s", line, what)
}

// mismatch words a value of the wrong kind: the YAML tag, the value as
// yaml.v3 quotes it (empty for lists and mappings) and the Go type it
// could not go into.
func mismatch(tag, value, goType string) string {
	var want string
	switch {
	case goType == "time.Duration":
		want = "a duration such as 30s or 5m"
	case goType == "string":
		want = "a string"
	case goType == "bool":
		want = "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		want = "a whole number"
	case strings.HasPrefix(goType, "float"):
		want = "a number"
	case strings.HasPrefix(goType, "[]"):
		want = "a list"
	default:
		want = "a mapping of keys"
	}

	switch {
	case value != "":
		return value + " is not " + want
	case tag == "!!seq":
		return "a list is not " + want
	case tag == "!!map":
		return "a mapping is not " + want
	}
	return tag + " is not " + want
}

// secretVar returns the variable that sets the secret field of struct type
// t a key such as bot_token means, or "".
func secretVar(t reflect.Type, key string) string {
	want := strings.ReplaceAll(key, "_", "")
	for i := range t.NumField() {
		f := t.Field(i)
		if name := f.Tag.Get("env"); name != "" && strings.EqualFold(f.Name, want) {
			return name
		}
	}
	return ""
}

// fieldByKey finds the field of struct type t that holds key, looking into
// structs tagged ",inline" as yaml.v3 does.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, inline := yamlTag(f)
		switch {
		case !f.IsExported() || name == "":
		case inline && f.Type.Kind() == reflect.Struct:
			if g, ok := fieldByKey(f.Type, key); ok {
				return g, true
			}
		case name == key:
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlTag returns the key yaml.v3 uses for f ("" for a field it skips) and
// whether the field's own keys are inlined into its parent's.
func yamlTag(f reflect.StructField) (name string, inline bool) {
	tag := f.Tag.Get("yaml")
	if tag == "-" {
		return "", false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, slices.Contains(strings.Split(opts, ","), "inline")
}
