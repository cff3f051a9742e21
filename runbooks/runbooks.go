// Package runbooks holds warroom's Markdown runbooks, embedded in the
// binary, and an index of their titles and tags to find them by.
//
// A runbook is a file named <name>.md that starts with a front matter block
// between two "---" lines, with the keys title (required), summary and tags,
// followed by Markdown:
//
//	---
//	title: Incident response
//	tags: [incident, procedure, commander]
//	summary: One line on when to use it.
//	---
//	# Incident response
//	...
//
// Message renders a runbook for chat, in Slack's mrkdwn.
package runbooks

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// embedded holds the runbooks shipped with warroom.
//
//go:embed *.md
var embedded embed.FS

// Runbook is one runbook: its front matter and its Markdown text.
type Runbook struct {
	// Name is the file name without ".md"; people ask for a runbook by it.
	Name string
	// Title is the front matter's title, shown as the message header.
	Title string
	// Summary is one line on when to use the runbook; it may be empty.
	Summary string
	// Tags are the front matter's tags, lower case, without duplicates.
	Tags []string
	// Body is the Markdown after the front matter.
	Body string
}

// clone returns r with a tags slice of its own.
func (r Runbook) clone() Runbook {
	r.Tags = slices.Clone(r.Tags)
	return r
}

// Index is a set of runbooks, each found by its name, title or tags. Names
// and titles are unique, whatever their case. An Index does not change
// after Load, so it is safe for concurrent use.
type Index struct {
	list []Runbook // sorted by title
}

// Load reads every *.md file of fsys, in every folder but those whose name
// starts with a dot, as a runbook. It reports every broken file at once,
// each as a *ParseError naming the file and line: a missing or unclosed
// front matter, a missing title, an unknown key, a name or title that
// another file already has, an empty body.
func Load(fsys fs.FS) (*Index, error) {
	var (
		idx    Index
		errs   []error
		names  = map[string]string{} // folded name -> file
		titles = map[string]string{} // folded title -> file
	)

	walk := func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		ext := path.Ext(p)
		if d.IsDir() || !strings.EqualFold(ext, ".md") {
			return nil
		}

		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		f, err := parse(p, data)
		if err != nil {
			errs = append(errs, err)
			return nil
		}

		// People type names and titles in chat, so case does not tell
		// two runbooks apart.
		name, title := strings.ToLower(f.Name), strings.ToLower(f.Title)
		if other, ok := names[name]; ok {
			errs = append(errs, &ParseError{File: p, Line: 1,
				Problem: fmt.Sprintf("duplicate name %q: %s has it too", f.Name, other)})
			return nil
		}
		if other, ok := titles[title]; ok {
			errs = append(errs, &ParseError{File: p, Line: f.titleLine,
				Problem: fmt.Sprintf("duplicate title %q: %s has it too", f.Title, other)})
			return nil
		}
		names[name], titles[title] = p, p
		idx.list = append(idx.list, f.Runbook)
		return nil
	}
	if err := fs.WalkDir(fsys, ".", walk); err != nil {
		return nil, fmt.Errorf("load runbooks: %w", err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("load runbooks: %w", errors.Join(errs...))
	}

	slices.SortFunc(idx.list, func(a, b Runbook) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title)),
			cmp.Compare(a.Name, b.Name))
	})
	return &idx, nil
}

// loadDefault loads the embedded runbooks once.
var loadDefault = sync.OnceValue(func() *Index {
	idx, err := Load(embedded)
	if err != nil {
		panic(fmt.Sprintf("runbooks: the embedded runbooks are broken: %v", err))
	}
	return idx
})

// Default returns the runbooks embedded in warroom, loaded on the first
// call. It panics if an embedded file is broken, which the package's tests
// rule out before a release.
func Default() *Index {
	return loadDefault()
}

// All returns every runbook, sorted by title.
func (x *Index) All() []Runbook {
	out := make([]Runbook, len(x.list))
	for i, r := range x.list {
		out[i] = r.clone()
	}
	return out
}

// Names returns the names of the runbooks, sorted.
func (x *Index) Names() []string {
	out := make([]string, len(x.list))
	for i, r := range x.list {
		out[i] = r.Name
	}
	slices.Sort(out)
	return out
}

// Find returns the runbook query asks for, trying in turn: the exact name
// (a trailing ".md" allowed), the name or the title whatever the case, the
// one runbook with query as a tag, and the one runbook whose name or title
// starts with query. It reports false when nothing matches and when a tag
// or prefix matches more than one runbook; Search then lists candidates.
func (x *Index) Find(query string) (Runbook, bool) {
	q := strings.TrimSpace(query)
	if strings.HasSuffix(strings.ToLower(q), ".md") {
		q = q[:len(q)-len(".md")]
	}
	if q == "" {
		return Runbook{}, false
	}
	lq := strings.ToLower(q)

	exact := []func(Runbook) bool{
		func(r Runbook) bool { return r.Name == q },
		func(r Runbook) bool { return strings.EqualFold(r.Name, q) },
		func(r Runbook) bool { return strings.EqualFold(r.Title, q) },
	}
	for _, match := range exact {
		if i := slices.IndexFunc(x.list, match); i >= 0 {
			return x.list[i].clone(), true
		}
	}

	tagged := x.filter(func(r Runbook) bool { return slices.Contains(r.Tags, lq) })
	if len(tagged) == 1 {
		return tagged[0], true
	}
	prefixed := x.filter(func(r Runbook) bool {
		return strings.HasPrefix(strings.ToLower(r.Name), lq) ||
			strings.HasPrefix(strings.ToLower(r.Title), lq)
	})
	if len(prefixed) == 1 {
		return prefixed[0], true
	}
	return Runbook{}, false
}

// filter returns copies of the runbooks keep accepts, in title order.
func (x *Index) filter(keep func(Runbook) bool) []Runbook {
	var out []Runbook
	for _, r := range x.list {
		if keep(r) {
			out = append(out, r.clone())
		}
	}
	return out
}

// Search returns the runbooks that match every word of query in their
// name, title, tags or summary, best first: a word in the name, title or
// tags counts more than one in the summary, and a word a typo or two away
// from a word of the name, title or tags counts least. An empty query
// returns them all. It serves "did you mean" when Find finds nothing.
func (x *Index) Search(query string) []Runbook {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return x.All()
	}

	type hit struct {
		r     Runbook
		score int
	}
	var hits []hit
	for _, r := range x.list {
		total := 0
		for _, w := range words {
			s := wordScore(r, w)
			if s == 0 {
				total = 0
				break
			}
			total += s
		}
		if total > 0 {
			hits = append(hits, hit{r.clone(), total})
		}
	}

	// Stable, so that equal scores keep the index's title order.
	slices.SortStableFunc(hits, func(a, b hit) int { return cmp.Compare(b.score, a.score) })
	out := make([]Runbook, len(hits))
	for i, h := range hits {
		out[i] = h.r
	}
	return out
}

// wordScore says how well the lower-case word w matches r: 0 not at all.
func wordScore(r Runbook, w string) int {
	name, title := strings.ToLower(r.Name), strings.ToLower(r.Title)
	switch {
	case slices.Contains(r.Tags, w), name == w, title == w:
		return 4
	case strings.Contains(name, w), strings.Contains(title, w):
		return 3
	case slices.ContainsFunc(r.Tags, func(t string) bool { return strings.Contains(t, w) }):
		return 2
	case strings.Contains(strings.ToLower(r.Summary), w):
		return 1
	}

	// A typo: compare with each word of the name, title and tags.
	near := maxTypos(w)
	if near == 0 {
		return 0
	}
	var vocab []string
	vocab = append(vocab, splitWords(name)...)
	vocab = append(vocab, splitWords(title)...)
	for _, t := range r.Tags {
		vocab = append(vocab, splitWords(t)...)
	}
	for _, v := range vocab {
		if distance(w, v, near) <= near {
			return 1
		}
	}
	return 0
}

// maxTypos is how many edits a search word may be away from a match: none
// for short words, which would match too much.
func maxTypos(w string) int {
	switch n := len([]rune(w)); {
	case n < 4:
		return 0
	case n < 7:
		return 1
	}
	return 2
}

// splitWords splits s into its runs of letters and digits.
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// distance returns the Levenshtein distance between a and b, or limit+1
// as soon as it is known to exceed limit.
func distance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}

	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
