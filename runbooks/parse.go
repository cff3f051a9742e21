package runbooks

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// ParseError is a problem with one runbook file.
type ParseError struct {
	// File is the file's path in the file system it was loaded from.
	File string
	// Line is the line the problem is on, counted from 1.
	Line int
	// Problem says what is wrong.
	Problem string
}

// Error returns the problem as "file:line: problem".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Problem)
}

// delimiter is the line above and below the front matter.
const delimiter = "---"

// parsed is a runbook as read from its file.
type parsed struct {
	Runbook
	titleLine int // the line of the title key, for a duplicate title
}

// parse reads the runbook file at p (a path in its file system) from data.
func parse(p string, data []byte) (parsed, error) {
	fail := func(line int, format string, args ...any) (parsed, error) {
		return parsed{}, &ParseError{File: p, Line: line, Problem: fmt.Sprintf(format, args...)}
	}

	// Chat needs valid UTF-8, and a runbook is text.
	if !utf8.Valid(data) {
		return fail(invalidLine(data), "not valid UTF-8 text")
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")

	// The front matter runs from the first line to the next "---" line.
	if strings.TrimRight(lines[0], " \t") != delimiter {
		return fail(1, "missing front matter: the first line must be %q", delimiter)
	}
	end := slices.IndexFunc(lines[1:], func(l string) bool {
		return strings.TrimRight(l, " \t") == delimiter
	}) + 1
	if end == 0 {
		return fail(1, "front matter not closed: no %q line after line 1", delimiter)
	}
	fm, err := parseFrontMatter(p, lines[1:end])
	if err != nil {
		return parsed{}, err
	}

	// The body is the rest, without blank lines around it.
	rest := lines[end+1:]
	for len(rest) > 0 && strings.TrimSpace(rest[0]) == "" {
		rest = rest[1:]
	}
	body := strings.TrimRight(strings.Join(rest, "\n"), " \t\n")
	if body == "" {
		return fail(end+1, "no text after the front matter")
	}

	name := path.Base(p)
	name = name[:len(name)-len(path.Ext(name))]
	rb := Runbook{Name: name, Title: fm.title, Summary: fm.summary, Tags: fm.tags, Body: body}
	return parsed{Runbook: rb, titleLine: fm.titleLine}, nil
}

// invalidLine returns the line of the first byte of data that is not
// valid UTF-8.
func invalidLine(data []byte) int {
	good := data
	for len(good) > 0 {
		r, size := utf8.DecodeRune(good)
		if r == utf8.RuneError && size <= 1 {
			break
		}
		good = good[size:]
	}
	return 1 + bytes.Count(data[:len(data)-len(good)], []byte("\n"))
}

// frontMatter is what a runbook's front matter says.
type frontMatter struct {
	title, summary string
	tags           []string
	titleLine      int
}

// keyLine is a line that starts a key of the front matter.
var keyLine = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]|$)`)

// yamlLine is the line number yaml.v3 puts before its messages.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?(?:line \d+: )?`)

// entry is one key of the front matter with the lines of its value.
type entry struct {
	key  string
	line int    // the file line the key is on
	src  string // the key's lines, as YAML
}

// parseFrontMatter reads lines, the front matter of the file at p between
// its delimiters; the first is line 2 of the file. Each key is read on its
// own, so that a problem is reported at the line of its key: yaml.v3's own
// line numbers are off by one for some problems and not given for others.
func parseFrontMatter(p string, lines []string) (frontMatter, error) {
	const first = 2 // the file line of lines[0]
	var fm frontMatter
	fail := func(line int, format string, args ...any) (frontMatter, error) {
		return frontMatter{}, &ParseError{File: p, Line: line,
			Problem: "front matter: " + fmt.Sprintf(format, args...)}
	}

	// Split the lines into keys; indented lines go with the key above.
	var entries []entry
	for i, l := range lines {
		n := first + i
		trimmed := strings.TrimSpace(l)
		switch m := keyLine.FindStringSubmatch(l); {
		case l != "" && (l[0] == ' ' || l[0] == '\t') && len(entries) > 0,
			trimmed == "" && len(entries) > 0:
			entries[len(entries)-1].src += "\n" + l
		case trimmed == "", strings.HasPrefix(trimmed, "#"):
		case m != nil:
			entries = append(entries, entry{key: m[1], line: n, src: l})
		default:
			return fail(n, "want a line of key: value, such as title: Incident response")
		}
	}

	seen := map[string]int{}
	for _, e := range entries {
		if at, ok := seen[e.key]; ok {
			return fail(e.line, "%s given twice, first on line %d", e.key, at)
		}
		seen[e.key] = e.line

		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(e.src), &doc); err != nil {
			return fail(e.line, "%s: %s", e.key, yamlLine.ReplaceAllString(err.Error(), ""))
		}
		if len(doc.Content) == 0 || len(doc.Content[0].Content) != 2 {
			return fail(e.line, "want a line of key: value, such as title: Incident response")
		}
		v := doc.Content[0].Content[1]

		switch e.key {
		case "title", "summary":
			if v.Kind != yaml.ScalarNode {
				return fail(e.line, "%s must be one line of text", e.key)
			}
			text := ""
			if v.Tag != "!!null" {
				text = strings.Join(strings.Fields(v.Value), " ")
			}
			if e.key == "summary" {
				fm.summary = text
				continue
			}
			if text == "" {
				return fail(e.line, "title is empty")
			}
			fm.title, fm.titleLine = text, e.line
		case "tags":
			tags, err := tagList(v)
			if err != nil {
				return fail(e.line, "tags %v", err)
			}
			fm.tags = tags
		default:
			return fail(e.line, "unknown key %q: the keys are title, summary and tags", e.key)
		}
	}
	if fm.title == "" {
		return fail(1, "missing title")
	}
	return fm, nil
}

// tagList reads tags written as a list ([a, b] or "- a" lines) or as one
// comma-separated line. Tags are trimmed and lower-cased, and empty and
// repeated ones dropped.
func tagList(v *yaml.Node) ([]string, error) {
	var raw []string
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
	case v.Kind == yaml.ScalarNode:
		raw = strings.Split(v.Value, ",")
	case v.Kind == yaml.SequenceNode:
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode {
				return nil, errors.New("must be a list of words, such as [incident, database]")
			}
			raw = append(raw, item.Value)
		}
	default:
		return nil, errors.New("must be a list, such as [incident, database]")
	}

	var tags []string
	for _, t := range raw {
		t = strings.ToLower(strings.Join(strings.Fields(t), " "))
		if t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags, nil
}
