package runbooks

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"warroom/bot"
)

// MaxSectionChars is the most characters Message and IndexMessage put in
// one section block. Slack takes 3000; the rest is room to spare.
const MaxSectionChars = 2900

// Message renders the runbook for chat: a header block with the title, a
// context block with the name and tags, and the body in Slack's mrkdwn in
// section blocks of at most MaxSectionChars characters, split between
// lines (a line longer than a section is cut at a space). A first heading
// that repeats the title is left out, since the header shows it.
//
// The conversion keeps lists, code spans and code blocks; turns headings
// and **bold** into *bold*, *italic* into _italic_, ~~struck~~ into
// ~struck~ and [text](url) into <url|text> (a link without a scheme keeps
// its text only); joins the lines of a paragraph or list item, as Markdown
// does; and escapes &, < and > everywhere but in the links it makes.
func (r Runbook) Message() bot.Message {
	text := "Runbook: " + r.Title
	if r.Summary != "" {
		text += ". " + r.Summary
	}
	msg := bot.Message{
		Text:   escape(text),
		Blocks: []bot.Block{{Kind: bot.BlockHeader, Text: escape(r.Title)}},
	}

	var about []string
	if r.Name != "" {
		about = append(about, "`"+escape(r.Name)+"`")
	}
	if len(r.Tags) > 0 {
		about = append(about, "tags: "+escape(strings.Join(r.Tags, ", ")))
	}
	if len(about) > 0 {
		msg.Blocks = append(msg.Blocks,
			bot.Block{Kind: bot.BlockContext, Text: strings.Join(about, " · ")})
	}

	body := toMrkdwn(withoutTitle(r.Body, r.Title))
	for _, s := range splitSections(body, MaxSectionChars) {
		msg.Blocks = append(msg.Blocks, bot.Block{Kind: bot.BlockSection, Text: s})
	}
	return msg
}

// IndexMessage renders a list of runbooks for chat: a header block
// ("Runbooks", which a caller may replace), then one line for each runbook
// with its name, title and summary, in section blocks of at most
// MaxSectionChars characters. An empty list says that there are none.
func IndexMessage(list []Runbook) bot.Message {
	msg := bot.Message{Blocks: []bot.Block{{Kind: bot.BlockHeader, Text: "Runbooks"}}}
	if len(list) == 0 {
		msg.Text = "No runbooks."
		msg.Blocks = append(msg.Blocks, bot.Block{Kind: bot.BlockSection, Text: msg.Text})
		return msg
	}

	lines := make([]string, 0, len(list))
	names := make([]string, 0, len(list))
	for _, r := range list {
		line := "• `" + escape(r.Name) + "` *" + escape(r.Title) + "*"
		if r.Summary != "" {
			line += ": " + escape(r.Summary)
		}
		lines = append(lines, line)
		names = append(names, r.Name)
	}

	msg.Text = "Runbooks: " + escape(strings.Join(names, ", "))
	for _, s := range splitSections(strings.Join(lines, "\n"), MaxSectionChars) {
		msg.Blocks = append(msg.Blocks, bot.Block{Kind: bot.BlockSection, Text: s})
	}
	return msg
}

// escape makes s safe to show as text in mrkdwn.
func escape(s string) string { return bot.Escape(s) }

var (
	headingLine = regexp.MustCompile(`^(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	ruleLine    = regexp.MustCompile(`^(?:-[ \t]*){3,}$|^(?:\*[ \t]*){3,}$|^(?:_[ \t]*){3,}$`)
	bulletLine  = regexp.MustCompile(`^[-*+](?:[ \t]+(.*))?$`)
	orderedLine = regexp.MustCompile(`^(\d{1,9})[.)](?:[ \t]+(.*))?$`)
	quoteLine   = regexp.MustCompile(`^>[ \t]?(.*)$`)
	fenceLine   = regexp.MustCompile("^(`{3,}|~{3,})(.*)$")
	tableRule   = regexp.MustCompile(`^\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?$`)
)

// withoutTitle returns body without its first line if that is a heading
// that says title.
func withoutTitle(body, title string) string {
	lines := strings.Split(body, "\n")
	first := 0
	for first < len(lines) && strings.TrimSpace(lines[first]) == "" {
		first++
	}
	if first == len(lines) {
		return body
	}

	m := headingLine.FindStringSubmatch(strings.TrimSpace(lines[first]))
	if m == nil || !strings.EqualFold(stripMarkers(m[2]), strings.TrimSpace(title)) {
		return body
	}
	return strings.Join(lines[first+1:], "\n")
}

// stripMarkers removes the strong-emphasis markers and the spaces around
// text, so that a heading can be made bold as a whole.
func stripMarkers(text string) string {
	text = strings.ReplaceAll(text, "**", "")
	text = strings.ReplaceAll(text, "__", "")
	return strings.TrimSpace(text)
}

// converter turns Markdown into mrkdwn one line at a time. A paragraph or
// list item stays open while its lines come, and is converted when it
// ends, so that emphasis and links may span its lines.
type converter struct {
	out    []string // finished lines
	prefix string   // the open paragraph's list marker or indentation
	text   []string // the open paragraph's Markdown lines; nil when none is open
	quote  bool     // whether the open paragraph is a block quote

	fence       string // the code fence we are inside, or ""
	fenceIndent int    // the spaces before it, taken off each code line
}

// toMrkdwn converts a Markdown document into Slack mrkdwn.
func toMrkdwn(md string) string {
	var c converter
	for raw := range strings.SplitSeq(md, "\n") {
		c.line(strings.TrimRight(raw, "\r"))
	}

	c.flush()
	if c.fence != "" {
		c.out = append(c.out, "```")
	}
	return strings.Trim(strings.Join(c.out, "\n"), "\n")
}

// line takes one line of Markdown.
func (c *converter) line(raw string) {
	if c.fence != "" {
		c.codeLine(raw)
		return
	}

	// A line ending in two spaces or a backslash breaks the paragraph.
	line := strings.TrimRight(raw, " \t")
	hardBreak := strings.HasSuffix(raw, "  ") || strings.HasSuffix(line, `\`)
	line = strings.TrimSuffix(line, `\`)
	trimmed := strings.TrimLeft(line, " \t")
	indent := line[:len(line)-len(trimmed)]

	if m := fenceLine.FindStringSubmatch(trimmed); m != nil &&
		(m[1][0] == '~' || !strings.Contains(m[2], "`")) {
		c.emit("```")
		c.fence, c.fenceIndent = m[1], len(indent)
		return
	}
	c.block(indent, trimmed)
	if hardBreak {
		c.flush()
	}
}

// codeLine takes a line inside a code block.
func (c *converter) codeLine(raw string) {
	trimmed := strings.TrimSpace(raw)
	if strings.HasPrefix(trimmed, c.fence) && strings.Trim(trimmed, c.fence[:1]) == "" {
		c.out = append(c.out, "```")
		c.fence = ""
		return
	}
	for range c.fenceIndent {
		if !strings.HasPrefix(raw, " ") {
			break
		}
		raw = raw[1:]
	}
	c.out = append(c.out, escape(strings.ReplaceAll(raw, "```", brokenFence)))
}

// brokenFence stands for three backticks inside a code block, which would
// end the block in Slack: they are kept apart by zero-width spaces.
const brokenFence = "`\u200b`\u200b`"

// block takes a line outside code blocks, with its indentation apart.
func (c *converter) block(indent, trimmed string) {
	switch {
	case trimmed == "":
		c.flush()
		if n := len(c.out); n > 0 && c.out[n-1] != "" {
			c.out = append(c.out, "")
		}
	case headingLine.MatchString(trimmed):
		c.flush()
		if text := stripMarkers(headingLine.FindStringSubmatch(trimmed)[2]); text != "" {
			c.out = append(c.out, "*"+inline(text, 0)+"*")
		}
	case ruleLine.MatchString(trimmed):
		c.block("", "")
	case bulletLine.MatchString(trimmed):
		item := bulletLine.FindStringSubmatch(trimmed)[1]
		mark := "•"
		if columns(indent) >= 2 {
			mark = "◦"
		}
		switch {
		case strings.HasPrefix(item, "[ ] "):
			item = "☐ " + item[4:]
		case strings.HasPrefix(item, "[x] "), strings.HasPrefix(item, "[X] "):
			item = "☑ " + item[4:]
		}
		c.open(indent+mark+" ", item, false)
	case orderedLine.MatchString(trimmed):
		m := orderedLine.FindStringSubmatch(trimmed)
		n, _ := strconv.Atoi(m[1])
		c.open(indent+strconv.Itoa(n)+". ", m[2], false)
	case quoteLine.MatchString(trimmed):
		text := quoteLine.FindStringSubmatch(trimmed)[1]
		switch {
		case strings.TrimSpace(text) == "":
			c.emit(">")
		case c.text != nil && c.quote:
			c.text = append(c.text, text)
		default:
			c.open("> ", text, true)
		}
	case strings.HasPrefix(trimmed, "|"):
		if !tableRule.MatchString(trimmed) {
			c.emit(inline(trimmed, 0))
		}
	case c.text != nil:
		c.text = append(c.text, trimmed)
	default:
		c.open(indent, trimmed, false)
	}
}

// open starts a paragraph or list item.
func (c *converter) open(prefix, text string, quote bool) {
	c.flush()
	c.prefix, c.text, c.quote = prefix, []string{text}, quote
}

// emit ends the open paragraph and adds a finished line.
func (c *converter) emit(line string) {
	c.flush()
	c.out = append(c.out, line)
}

// flush converts the open paragraph, if any, into a finished line.
func (c *converter) flush() {
	if c.text == nil {
		return
	}
	c.out = append(c.out, c.prefix+inline(strings.Join(c.text, " "), 0))
	c.prefix, c.text, c.quote = "", nil, false
}

// columns measures indentation, a tab as 4 columns.
func columns(indent string) int {
	n := 0
	for _, r := range indent {
		if r == '\t' {
			n += 4
		} else {
			n++
		}
	}
	return n
}

// maxNesting bounds how deep emphasis nests; deeper markers stay as typed.
const maxNesting = 4

// maxSpan is how far, in bytes, a code span, link or emphasis may reach
// from where it opens; one that closes further away stays as typed. It
// keeps the conversion of a long paragraph full of markers fast.
const maxSpan = 2000

// reach returns the end of the window in which what opens at s[i] must
// close.
func reach(s string, i int) int {
	return min(len(s), i+maxSpan)
}

// inline converts the inline Markdown of one paragraph: code spans, links,
// emphasis and backslash escapes; the rest is escaped text.
func inline(s string, depth int) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if n, text := inlineAt(s, i, depth); n > 0 {
			b.WriteString(text)
			i += n
			continue
		}
		b.WriteString(escape(s[i : i+1]))
		i++
	}
	return b.String()
}

// inlineAt converts the construct that starts at s[i], if one does, and
// returns how many bytes it took and what it became; 0 when none.
func inlineAt(s string, i, depth int) (int, string) {
	switch s[i] {
	case '\\':
		if i+1 < len(s) && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", s[i+1]) >= 0 {
			return 2, escape(s[i+1 : i+2])
		}
	case '`':
		return codeSpan(s, i)
	case '!':
		if i+1 < len(s) && s[i+1] == '[' {
			if n, text := link(s, i+1, depth); n > 0 {
				return n + 1, text
			}
		}
	case '[':
		return link(s, i, depth)
	case '<':
		return autolink(s, i)
	case '*', '_', '~':
		if depth < maxNesting {
			return emphasis(s, i, depth)
		}
	}
	return 0, ""
}

// codeSpan converts the code span at s[i]: its text escaped between single
// backticks, as Slack has no longer fences inline.
func codeSpan(s string, i int) (int, string) {
	n := runOf(s, i, '`')
	end := reach(s, i)
	for j := i + n; j < end; {
		k := strings.IndexByte(s[j:end], '`')
		if k < 0 {
			break
		}
		j += k
		m := runOf(s, j, '`')
		if m != n {
			j += m
			continue
		}

		code := s[i+n : j]
		if n > 1 && len(code) > 2 && code[0] == ' ' && code[len(code)-1] == ' ' {
			code = code[1 : len(code)-1]
		}
		if strings.TrimSpace(code) == "" {
			return j + n - i, escape(s[i : j+n])
		}
		return j + n - i, "`" + escape(code) + "`"
	}
	return n, s[i : i+n]
}

// runOf counts the bytes c from s[i] on.
func runOf(s string, i int, c byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

// link converts the link [text](url) at s[i] into <url|text>, or into its
// text alone when url is not a web or mail address.
func link(s string, i, depth int) (int, string) {
	end := reach(s, i)
	closeText := strings.IndexByte(s[i+1:end], ']')
	if closeText < 0 {
		return 0, ""
	}
	j := i + 1 + closeText
	if j+1 >= len(s) || s[j+1] != '(' {
		return 0, ""
	}

	// The target ends at the parenthesis that closes the one it opens with.
	closeURL, nesting := -1, 0
	for k := j + 1; k < end && closeURL < 0; k++ {
		switch s[k] {
		case '(':
			nesting++
		case ')':
			nesting--
			if nesting == 0 {
				closeURL = k
			}
		}
	}
	if closeURL < 0 {
		return 0, ""
	}

	text := s[i+1 : j]
	url := ""
	if f := strings.Fields(s[j+2 : closeURL]); len(f) > 0 {
		url = strings.TrimSuffix(strings.TrimPrefix(f[0], "<"), ">")
	}
	n := closeURL + 1 - i
	if !webURL(url) {
		return n, inline(text, depth+1)
	}
	label := strings.NewReplacer("`", "", "**", "", "__", "").Replace(text)
	label = escape(strings.Join(strings.Fields(label), " "))
	if label == "" {
		return n, "<" + safeURL(url) + ">"
	}
	return n, "<" + safeURL(url) + "|" + label + ">"
}

// autolink converts <https://...> at s[i] into a Slack link.
func autolink(s string, i int) (int, string) {
	k := strings.IndexByte(s[i+1:reach(s, i)], '>')
	if k < 0 {
		return 0, ""
	}
	url := s[i+1 : i+1+k]
	if !webURL(url) || strings.ContainsAny(url, " \t<") {
		return 0, ""
	}
	return k + 2, "<" + safeURL(url) + ">"
}

// webURL reports whether url is an address Slack can link to.
func webURL(url string) bool {
	lower := strings.ToLower(url)
	for _, scheme := range []string{"https://", "http://", "mailto:"} {
		if strings.HasPrefix(lower, scheme) && len(lower) > len(scheme) {
			return true
		}
	}
	return false
}

// urlEscaper percent-encodes what would end a Slack link early.
var urlEscaper = strings.NewReplacer("<", "%3C", ">", "%3E", "|", "%7C", " ", "%20")

// safeURL makes url safe inside <url|text>.
func safeURL(url string) string {
	return urlEscaper.Replace(url)
}

// emphasis converts the emphasis that opens at s[i], if it closes:
// **strong** and __strong__ into *strong*, *em* and _em_ into _em_, and
// ~~struck~~ into ~struck~. An underscore inside a word stays as typed.
func emphasis(s string, i, depth int) (int, string) {
	c := s[i]
	if c == '_' && !boundaryBefore(s, i) {
		return 0, ""
	}

	// A doubled marker: strong or struck.
	if i+1 < len(s) && s[i+1] == c {
		open := i + 2
		if open >= len(s) || s[open] == ' ' {
			return 0, ""
		}
		k := strings.Index(s[open:reach(s, i)], s[i:i+2])
		if k <= 0 || s[open+k-1] == ' ' || (c == '_' && !boundaryAfter(s, open+k+2)) {
			return 0, ""
		}
		mark := "*"
		if c == '~' {
			mark = "~"
		}
		return k + 4, mark + inline(s[open:open+k], depth+1) + mark
	}
	if c == '~' || i+1 >= len(s) || s[i+1] == ' ' {
		return 0, ""
	}

	// A single marker: emphasis, closed by the same marker that neither
	// follows a space nor is part of a doubled one.
	end := reach(s, i)
	for j := i + 1; j < end; j++ {
		k := strings.IndexByte(s[j:end], c)
		if k < 0 {
			break
		}
		j += k
		if s[j-1] == ' ' || s[j-1] == c || j == i+1 {
			continue
		}
		if j+1 < len(s) && s[j+1] == c {
			j++
			continue
		}
		if c == '_' && !boundaryAfter(s, j+1) {
			continue
		}
		return j + 1 - i, "_" + inline(s[i+1:j], depth+1) + "_"
	}
	return 0, ""
}

// boundaryBefore reports whether s[i] starts a word: no letter or digit
// comes right before it.
func boundaryBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return i == 0 || !(unicode.IsLetter(r) || unicode.IsDigit(r))
}

// boundaryAfter reports whether a word ends before s[i]: no letter or
// digit is at s[i].
func boundaryAfter(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return i >= len(s) || !(unicode.IsLetter(r) || unicode.IsDigit(r))
}

// splitSections splits text into sections of at most limit characters,
// between lines. A heading does not end a section when it can start the
// next, and a code block cut in two is closed at the end of the first
// section and opened again in the next. A line longer than a section is
// cut, at a space when there is one in its second half.
func splitSections(text string, limit int) []string {
	const fence = "```"
	var (
		sections []string
		cur      []string // the lines of the section being filled
		size     int      // their length, newlines between them included
		fenced   bool     // whether cur ends inside a code block
	)

	flush := func() {
		lines := trimBlank(cur)
		s := strings.Join(lines, "\n")
		if fenced {
			s += "\n" + fence
		}
		if strings.Trim(s, "`\n ") != "" {
			sections = append(sections, s)
		}
		cur, size = nil, 0
		if fenced {
			cur, size = []string{fence}, len(fence)
		}
	}
	add := func(line string) {
		if len(cur) > 0 {
			size++
		}
		cur = append(cur, line)
		size += utf8.RuneCountInString(line)
	}

	for line := range strings.SplitSeq(text, "\n") {
		for _, piece := range cut(line, limit-2*len(fence+"\n")) {
			after := fenced != (piece == fence)
			need := size + utf8.RuneCountInString(piece)
			if len(cur) > 0 {
				need++
			}
			if after {
				need += len("\n" + fence)
			}
			if need <= limit || len(cur) == 0 {
				add(piece)
				fenced = after
				continue
			}

			// Carry a trailing heading over to the next section when it
			// fits there with this line.
			var carry []string
			if !fenced {
				carry = trailingHeading(cur)
			}
			if n := lengthOf(carry); n > 0 && n+need-size <= limit {
				cur = cur[:len(cur)-len(carry)]
			} else {
				carry = nil
			}
			flush()
			for _, l := range carry {
				add(l)
			}
			add(piece)
			fenced = after
		}
	}
	flush()
	return sections
}

// trailingHeading returns the heading line (a line in bold) and the blank
// lines after it that end lines, when something comes before them.
func trailingHeading(lines []string) []string {
	i := len(lines) - 1
	for i > 0 && lines[i] == "" {
		i--
	}
	l := lines[i]
	if i == 0 || len(l) < 3 || l[0] != '*' || l[len(l)-1] != '*' {
		return nil
	}
	return lines[i:]
}

// lengthOf returns the length of lines joined by newlines.
func lengthOf(lines []string) int {
	if len(lines) == 0 {
		return 0
	}
	n := len(lines) - 1
	for _, l := range lines {
		n += utf8.RuneCountInString(l)
	}
	return n
}

// trimBlank returns lines without the blank lines at either end.
func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// cut splits a line into pieces of at most max characters, each cut at
// the last space in the second half of the piece or, when there is none,
// before an escaped character (&amp;) rather than inside it.
func cut(line string, max int) []string {
	if utf8.RuneCountInString(line) <= max {
		return []string{line}
	}

	var pieces []string
	r := []rune(line)
	for len(r) > max {
		k := max
		if sp := lastIndex(r[max/2:max+1], ' '); sp >= 0 {
			k = max/2 + sp
		} else if amp := lastIndex(r[max-5:max], '&'); amp >= 0 &&
			lastIndex(r[max-5+amp:max], ';') < 0 {
			k = max - 5 + amp
		}
		if k <= 0 {
			k = max
		}
		pieces = append(pieces, strings.TrimRight(string(r[:k]), " "))
		r = r[k:]
		for len(r) > 0 && r[0] == ' ' {
			r = r[1:]
		}
	}
	if len(r) > 0 {
		pieces = append(pieces, string(r))
	}
	return pieces
}

// lastIndex returns the index of the last c in r, or -1.
func lastIndex(r []rune, c rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == c {
			return i
		}
	}
	return -1
}
