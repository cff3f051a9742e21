package runbooks_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"warroom/bot"
	"warroom/runbooks"
)

func TestMrkdwn(t *testing.T) {
	tests := []struct {
		name string
		md   string
		want string
	}{
		{"headings", "# Top\n## Sub ##\n###### Deep", "*Top*\n*Sub*\n*Deep*"},
		{"heading with bold", "## **Step** one", "*Step one*"},
		{"heading with a link", "## See [docs](https://d.example)",
			"*See <https://d.example|docs>*"},
		{"not a heading", "#hashtag and #1", "#hashtag and #1"},
		{"empty heading", "a\n\n#\n\nb", "a\n\nb"},
		{"bold", "Stop **warroom** and __it__", "Stop *warroom* and *it*"},
		{"italic", "*really* and _truly_", "_really_ and _truly_"},
		{"italic in bold", "**bold _it_ bold**", "*bold _it_ bold*"},
		{"bold in italic", "*it **bold** it*", "_it *bold* it_"},
		{"struck", "~~old~~ new", "~old~ new"},
		{"underscores in words", "database_path and keep_daily_", "database_path and keep_daily_"},
		{"stars with spaces", "2 * 3 * 4", "2 * 3 * 4"},
		{"unclosed bold", "**bold and *it", "**bold and *it"},
		{"bold across lines", "**a\nb**", "*a b*"},
		{"link", "[Slack help](https://slack.com/help)", "<https://slack.com/help|Slack help>"},
		{"link text escaped, url kept", "[Q&A <x>](https://x.example/?a=1&b=2)",
			"<https://x.example/?a=1&b=2|Q&amp;A &lt;x&gt;>"},
		{"link url that would end the link", "[t](https://x.example/a|b>c d)",
			"<https://x.example/a%7Cb%3Ec|t>"},
		{"link url with parentheses", "[Go](https://en.wikipedia.org/wiki/Go_(language)).",
			"<https://en.wikipedia.org/wiki/Go_(language)|Go>."},
		{"link with a title", `[t](https://x.example "The title")`, "<https://x.example|t>"},
		{"link with code in its text", "[`warroom`](https://w.example)",
			"<https://w.example|warroom>"},
		{"mail link", "[mail](mailto:oncall@x.example)", "<mailto:oncall@x.example|mail>"},
		{"relative link keeps its text", "see [the **policy**](../POLICY.md)",
			"see the *policy*"},
		{"not a link", "[P0] (now) [x]", "[P0] (now) [x]"},
		{"image", "![diagram](https://x.example/d.png)", "<https://x.example/d.png|diagram>"},
		{"autolink", "<https://status.example.com>", "<https://status.example.com>"},
		{"escaped text", "a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"},
		{"angle brackets not a link", "/page <schedule> <message>",
			"/page &lt;schedule&gt; &lt;message&gt;"},
		{"no pings or mentions", "<!channel> <@U123>", "&lt;!channel&gt; &lt;@U123&gt;"},
		{"code span", "run `a <b> && *c* [d](e)`", "run `a &lt;b&gt; &amp;&amp; *c* [d](e)`"},
		{"double backtick code span", "``a ` b``", "`a ` b`"},
		{"unclosed code span", "a `b", "a `b"},
		{"backslash escapes", `\*not it\* \<b\>`, "*not it* &lt;b&gt;"},
		{"emoji", ":warning: careful", ":warning: careful"},
		{"bullets", "- one\n- two\n  - nested\n* star\n+ plus",
			"• one\n• two\n  ◦ nested\n• star\n• plus"},
		{"task list", "- [ ] todo\n- [x] done", "• ☐ todo\n• ☑ done"},
		{"numbered", "1. one\n2) two\n10. ten", "1. one\n2. two\n10. ten"},
		{"list item over two lines", "1. Stop\n   warroom.\n2. Copy", "1. Stop warroom.\n2. Copy"},
		{"paragraph over two lines", "one\ntwo\n\nthree", "one two\n\nthree"},
		{"hard breaks", "one  \ntwo\\\nthree", "one\ntwo\nthree"},
		{"blank lines collapsed", "a\n\n\n\nb\n\n", "a\n\nb"},
		{"windows line ends", "a\r\nb\r\n\r\n- c\r\n", "a b\n\n• c"},
		{"code block", "```sh\nrm -rf <dir> && ls\n  **x** [y](z)\n```\nafter",
			"```\nrm -rf &lt;dir&gt; &amp;&amp; ls\n  **x** [y](z)\n```\nafter"},
		{"code block in a list", "1. Run:\n\n   ```\n   ls\n     -l\n   ```",
			"1. Run:\n\n```\nls\n  -l\n```"},
		{"code block with tildes", "~~~\nx ```\n~~~", "```\nx `\u200b`\u200b`\n```"},
		{"code block unclosed", "```\ncode", "```\ncode\n```"},
		{"code on one line", "```go x```", "`go x`"},
		{"quote", "> careful\n> now\n>\n> then", "> careful now\n>\n> then"},
		{"rules", "a\n\n---\n\n* * *\n\nb", "a\n\nb"},
		{"table", "| a | b |\n|---|:-:|\n| 1 | **2** |", "| a | b |\n| 1 | *2* |"},
		{"title heading left out", "# T\n\ntext", "text"},
		{"other first heading kept", "# Other\ntext", "*Other*\ntext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := body(runbooks.Runbook{Title: "T", Body: tt.md}.Message()); got != tt.want {
				t.Errorf("Markdown\n%s\nbecame\n%s\nwant\n%s", tt.md, got, tt.want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	var items, want []string
	for i := range 500 {
		items = append(items, fmt.Sprintf("- step %d: do the thing & check", i))
		want = append(want, fmt.Sprintf("• step %d: do the thing &amp; check", i))
	}
	var code []string
	for i := range 300 {
		code = append(code, fmt.Sprintf("line %d of a long log <x>", i))
	}
	words := strings.Repeat("word ", 1500)

	tests := []struct {
		name  string
		md    string
		check func(t *testing.T, sections []string)
	}{
		{"between lines", strings.Join(items, "\n"), func(t *testing.T, sections []string) {
			if got := strings.Join(sections, "\n"); got != strings.Join(want, "\n") {
				t.Error("the sections are not the lines, split between lines")
			}
		}},
		{"a heading goes with what follows it",
			strings.Join(items[:80], "\n") + "\n\n## Next\n\n" + strings.Repeat("x", 300),
			func(t *testing.T, sections []string) {
				if !strings.HasPrefix(sections[1], "*Next*\n\nxxx") {
					t.Errorf("the second section starts %q, want the heading",
						sections[1][:10])
				}
			}},
		{"a code block closed and opened again", "```\n" + strings.Join(code, "\n") + "\n```",
			func(t *testing.T, sections []string) {
				for i, s := range sections {
					if !strings.HasPrefix(s, "```\nline ") || !strings.HasSuffix(s, "\n```") ||
						strings.Count(s, "```") != 2 {
						t.Errorf("section %d is not one whole code block", i)
					}
				}
			}},
		{"a long line cut at spaces", words, func(t *testing.T, sections []string) {
			if got := strings.Join(sections, " "); got != strings.TrimSpace(words) {
				t.Error("the pieces are not the line cut at spaces")
			}
		}},
		{"a long word cut", strings.Repeat("x", 7000), func(t *testing.T, sections []string) {
			if got := strings.Join(sections, ""); got != strings.Repeat("x", 7000) {
				t.Error("the pieces are not the word")
			}
		}},
		{"never inside an escape", strings.Repeat("&", 3000),
			func(t *testing.T, sections []string) {
				for i, s := range sections {
					if strings.ReplaceAll(s, "&amp;", "") != "" {
						t.Errorf("section %d cuts an escape: ...%s", i, s[len(s)-8:])
					}
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := runbooks.Runbook{Title: "T", Body: tt.md}.Message()

			var sections []string
			for _, b := range msg.Blocks {
				if b.Kind != bot.BlockSection {
					continue
				}
				if n := utf8.RuneCountInString(b.Text); n > runbooks.MaxSectionChars {
					t.Errorf("a section of %d characters", n)
				}
				sections = append(sections, b.Text)
			}
			if len(sections) < 2 {
				t.Fatalf("%d sections, want the text split", len(sections))
			}
			tt.check(t, sections)
		})
	}
}

// FuzzParse feeds arbitrary bytes to Load as a runbook file: it must never
// panic, must report a broken file as a ParseError with a line, and must
// render a good one in sections Slack takes.
func FuzzParse(f *testing.F) {
	for _, name := range shipped {
		data, err := os.ReadFile(name + ".md")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		"",
		"---\n---\n",
		"---\ntitle: A\n---\n",
		"---\ntitle: [a\n---\nx",
		"---\ntitle: A\ntags:\n  - a\n  - *b\nsummary: |\n  x\n---\n**a _b_ [c](http://d)** `e`",
		"---\ntitle: A\n---\n```\n~~~\n> [x](<y>)\n- [ ] *z*\n\t1. w\\\n",
		"---\r\ntitle: \"\\xff\"\r\n---\r\n\xef\xbb\xbf",
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := runbooks.Load(fstest.MapFS{"fuzz.md": {Data: data}})
		if err != nil {
			var pe *runbooks.ParseError
			if !errors.As(err, &pe) || pe.File != "fuzz.md" || pe.Line < 1 {
				t.Fatalf("Load() error %q names no file and line", err)
			}
			return
		}

		r := idx.All()[0]
		if r.Title == "" || r.Body == "" {
			t.Fatalf("loaded %+v without a title or a body", r)
		}
		if _, ok := idx.Find(r.Name); !ok {
			t.Fatalf("Find(%q) found nothing", r.Name)
		}
		for _, b := range r.Message().Blocks {
			if !utf8.ValidString(b.Text) {
				t.Fatalf("a %s block of invalid UTF-8: %q", b.Kind, b.Text)
			}
			if n := utf8.RuneCountInString(b.Text); b.Kind == bot.BlockSection &&
				(n > runbooks.MaxSectionChars || strings.TrimSpace(b.Text) == "") {
				t.Fatalf("a section of %d characters: %q", n, b.Text)
			}
		}
	})
}

// body returns the sections of msg, joined.
func body(msg bot.Message) string {
	var parts []string
	for _, b := range msg.Blocks {
		if b.Kind == bot.BlockSection {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}
