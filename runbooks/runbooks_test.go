package runbooks_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"warroom/bot"
	"warroom/runbooks"
)

// shipped are the runbooks warroom must ship.
var shipped = []string{
	"emergency-deploy",
	"escalation",
	"incident-response",
	"oncall-handoff",
	"restore-warroom-database",
}

func TestDefault(t *testing.T) {
	idx := runbooks.Default()

	if got := idx.Names(); !slices.Equal(got, shipped) {
		t.Fatalf("Names() = %q, want %q", got, shipped)
	}
	for _, r := range idx.All() {
		t.Run(r.Name, func(t *testing.T) {
			if r.Title == "" || r.Summary == "" || len(r.Tags) == 0 || r.Body == "" {
				t.Errorf("want a title, summary, tags and body, got %+v", r)
			}
			for _, b := range r.Message().Blocks {
				if n := utf8.RuneCountInString(b.Text); n > runbooks.MaxSectionChars {
					t.Errorf("a %s block of %d characters", b.Kind, n)
				}
			}
		})
	}
	if Default := runbooks.Default(); Default != idx {
		t.Error("Default() loaded the runbooks a second time")
	}
}

// TestFiles keeps the shipped files readable in an editor and in chat.
func TestFiles(t *testing.T) {
	for _, name := range shipped {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(name + ".md")
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
			if len(lines) < 40 || len(lines) > 120 {
				t.Errorf("%d lines, want 40 to 120", len(lines))
			}
			for i, l := range lines {
				if n := utf8.RuneCountInString(l); n >= 100 {
					t.Errorf("line %d has %d columns, want under 100", i+1, n)
				}
			}
		})
	}
}

func TestAll(t *testing.T) {
	idx := load(t, fstest.MapFS{
		"b.md": file("Zulu", "[x]"),
		"a.md": file("alpha", "[y]"),
		"c.md": file("Mike", "[z]"),
	})

	var titles []string
	for _, r := range idx.All() {
		titles = append(titles, r.Title)
	}
	if want := []string{"alpha", "Mike", "Zulu"}; !slices.Equal(titles, want) {
		t.Errorf("All() titles = %q, want %q", titles, want)
	}
	if got, want := idx.Names(), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}

	// What All returns is a copy.
	idx.All()[0].Tags[0] = "changed"
	if got := idx.All()[0].Tags[0]; got != "y" {
		t.Errorf("a caller changed the index: tag %q", got)
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  string // the name found; "" for none
	}{
		{"exact name", "escalation", "escalation"},
		{"name with .md", "escalation.md", "escalation"},
		{"name in capitals", "Emergency-Deploy", "emergency-deploy"},
		{"name with spaces around", "  oncall-handoff ", "oncall-handoff"},
		{"title", "Incident response", "incident-response"},
		{"title in another case", "on-call HANDOFF", "oncall-handoff"},
		{"unique tag", "hotfix", "emergency-deploy"},
		{"unique tag in capitals", "SQLite", "restore-warroom-database"},
		{"unique name prefix", "restore", "restore-warroom-database"},
		{"unique title prefix", "Restore warroom", "restore-warroom-database"},
		{"tag shared, one prefix", "oncall", "oncall-handoff"},
		{"ambiguous prefix", "e", ""},
		{"unknown", "kubernetes", ""},
		{"empty", "  ", ""},
		{"only .md", ".md", ""},
	}
	idx := runbooks.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := idx.Find(tt.query)
			if ok != (tt.want != "") || r.Name != tt.want {
				t.Errorf("Find(%q) = %q, %v; want %q", tt.query, r.Name, ok, tt.want)
			}
		})
	}
}

func TestFindPrefersNameToTitle(t *testing.T) {
	idx := load(t, fstest.MapFS{
		"backup.md":  file("Taking backups", "[ops]"),
		"restore.md": file("Backup", "[ops]"),
	})

	if r, _ := idx.Find("backup"); r.Name != "backup" {
		t.Errorf(`Find("backup") = %q, want the runbook named backup`, r.Name)
	}
	if r, _ := idx.Find("BACKUP"); r.Name != "backup" {
		t.Errorf(`Find("BACKUP") = %q, want the runbook named backup`, r.Name)
	}
}

func TestSearch(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  []string // names, best first
	}{
		{"empty lists all", "", []string{"emergency-deploy", "escalation", "incident-response",
			"oncall-handoff", "restore-warroom-database"}},
		{"tag", "cto", []string{"escalation"}},
		{"every word must match", "restore database", []string{"restore-warroom-database"}},
		{"name before summary", "deploy", []string{"emergency-deploy"}},
		{"summary word", "paperwork", []string{"emergency-deploy"}},
		{"typo", "escalaton", []string{"escalation"}},
		{"two typos in a long word", "procdeure", []string{"incident-response"}},
		{"short words need no typos", "cta", nil},
		{"shared tag, in title order", "oncall", []string{"escalation", "oncall-handoff"}},
		{"nothing", "kubernetes", nil},
	}
	idx := runbooks.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range idx.Search(tt.query) {
				got = append(got, r.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want runbooks.Runbook
	}{
		{
			name: "tags as a block list",
			fsys: fstest.MapFS{"db/restore.md": {Data: []byte(
				"---\ntitle: Restore\nsummary: When it breaks.\ntags:\n  - DB\n  - backup\n" +
					"  - db\n---\n\n\n# Restore\n\n1. Stop it.  \n")}},
			want: runbooks.Runbook{Name: "restore", Title: "Restore", Summary: "When it breaks.",
				Tags: []string{"db", "backup"}, Body: "# Restore\n\n1. Stop it."},
		},
		{
			name: "windows line ends and a byte order mark",
			fsys: fstest.MapFS{"x.md": {Data: []byte(
				"\uFEFF---\r\ntitle: \"Restore: the database\"\r\ntags: a, b\r\n" +
					"---\r\nText.\r\n")}},
			want: runbooks.Runbook{Name: "x", Title: "Restore: the database",
				Tags: []string{"a", "b"}, Body: "Text."},
		},
		{
			name: "comments, quotes and a block scalar",
			fsys: fstest.MapFS{"x.md": {Data: []byte("---\n# The title.\ntitle: 'It''s #1'\n\n" +
				"summary: |\n  Two\n\n  lines.\ntags: [] # none\n---\nText")}},
			want: runbooks.Runbook{Name: "x", Title: "It's #1", Summary: "Two lines.",
				Body: "Text"},
		},
		{
			name: "no summary or tags, and a long title folded",
			fsys: fstest.MapFS{"x.MD": {Data: []byte(
				"---\ntitle: >\n  A long\n  title\n---\nText")}},
			want: runbooks.Runbook{Name: "x", Title: "A long title", Body: "Text"},
		},
		{
			name: "other files and hidden folders left out",
			fsys: fstest.MapFS{
				"x.md":             {Data: []byte("---\ntitle: X\n---\nText")},
				"notes.txt":        {Data: []byte("not a runbook")},
				".git/broken.md":   {Data: []byte("not a runbook")},
				"drafts/.tmp.md":   {Data: []byte("not a runbook")},
				"folder.md/readme": {Data: []byte("not a runbook")},
			},
			want: runbooks.Runbook{Name: "x", Title: "X", Body: "Text"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all := load(t, tt.fsys).All()
			if len(all) != 1 {
				t.Fatalf("loaded %d runbooks, want 1", len(all))
			}
			got := all[0]
			if got.Name != tt.want.Name || got.Title != tt.want.Title ||
				got.Summary != tt.want.Summary || !slices.Equal(got.Tags, tt.want.Tags) ||
				got.Body != tt.want.Body {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		file    string
		line    int
		problem string
	}{
		{"no front matter", one("# A\n\nText"),
			"a.md", 1, "missing front matter"},
		{"empty file", one(""),
			"a.md", 1, "missing front matter"},
		{"front matter not closed", one("---\ntitle: A\nText"),
			"a.md", 1, "front matter not closed"},
		{"no title", one("---\nsummary: S\n---\nText"),
			"a.md", 1, "missing title"},
		{"empty front matter", one("---\n---\nText"),
			"a.md", 1, "missing title"},
		{"empty title", one("---\ntags: [x]\ntitle:\n---\nT"),
			"a.md", 3, "title is empty"},
		{"title a list", one("---\ntitle: [a, b]\n---\nT"),
			"a.md", 2, "title must be one line of text"},
		{"yaml syntax", one("---\ntitle: A\ntags: [a\n---\nT"),
			"a.md", 3, "front matter: tags: did not find expected ',' or ']'"},
		{"yaml problem below its key", fstest.MapFS{"a.md": {Data: []byte(
			"---\ntitle: A\ntags:\n  - a\n  - [b\n---\nT")}},
			"a.md", 3, "front matter: tags: did not find expected"},
		{"indented first line", one("---\n  title: A\n---\nT"),
			"a.md", 2, "want a line of key: value"},
		{"not a mapping", one("---\n- title\n---\nText"),
			"a.md", 2, "want a line of key: value"},
		{"unknown key", one("---\ntitle: A\ntitel: B\n---\nT"),
			"a.md", 3, `unknown key "titel"`},
		{"key twice", one("---\ntitle: A\ntitle: B\n---\nT"),
			"a.md", 3, "title given twice, first on line 2"},
		{"tags a mapping", one("---\ntitle: A\ntags: {a: 1}\n---\nT"),
			"a.md", 3, "tags must be a list"},
		{"no body", one("---\ntitle: A\n---\n\n  \n"),
			"a.md", 3, "no text after the front matter"},
		{"not UTF-8", one("---\ntitle: A\n---\nok\n\xff\n"),
			"a.md", 5, "not valid UTF-8"},
		{"duplicate name", fstest.MapFS{
			"a/restore.md": file("Restore A", "[x]"),
			"b/restore.md": file("Restore B", "[x]"),
		}, "b/restore.md", 1, `duplicate name "restore": a/restore.md has it too`},
		{"duplicate name by case", fstest.MapFS{
			"Restore.md": file("Restore A", "[x]"),
			"restore.md": file("Restore B", "[x]"),
		}, "restore.md", 1, `duplicate name "restore": Restore.md has it too`},
		{"duplicate title", fstest.MapFS{
			"a.md": file("Restore", "[x]"),
			"b.md": file("RESTORE", "[x]"),
		}, "b.md", 2, `duplicate title "RESTORE": a.md has it too`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, err := runbooks.Load(tt.fsys)
			if err == nil {
				t.Fatalf("Load() = %d runbooks, want an error", len(idx.All()))
			}
			var pe *runbooks.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Load() error %q is no *ParseError", err)
			}
			if pe.File != tt.file || pe.Line != tt.line ||
				!strings.Contains(pe.Problem, tt.problem) {
				t.Errorf("Load() error %q, want %s:%d: ...%s...", err, tt.file, tt.line,
					tt.problem)
			}
			if !strings.HasPrefix(err.Error(), "load runbooks: ") {
				t.Errorf("Load() error %q does not say what failed", err)
			}
		})
	}
}

func TestLoadReportsEveryFile(t *testing.T) {
	_, err := runbooks.Load(fstest.MapFS{
		"a.md": {Data: []byte("no front matter")},
		"b.md": file("B", "[x]"),
		"c.md": {Data: []byte("---\ntitle: C\n---\n")},
	})

	for _, want := range []string{"a.md:1: missing front matter", "c.md:3: no text"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load() error %v, want it to say %q", err, want)
		}
	}
}

func TestMessage(t *testing.T) {
	r := runbooks.Runbook{
		Name:    "db-restore",
		Title:   "Restore <db> & co",
		Summary: "When the database is gone.",
		Tags:    []string{"db", "backup"},
		Body:    "# Restore <db> & co\n\nStop **warroom**.\n",
	}

	got := r.Message()
	want := bot.Message{
		Text: "Runbook: Restore &lt;db&gt; &amp; co. When the database is gone.",
		Blocks: []bot.Block{
			{Kind: bot.BlockHeader, Text: "Restore &lt;db&gt; &amp; co"},
			{Kind: bot.BlockContext, Text: "`db-restore` · tags: db, backup"},
			{Kind: bot.BlockSection, Text: "Stop *warroom*."},
		},
	}
	if !equalMessages(got, want) {
		t.Errorf("Message() =\n%#v\nwant\n%#v", got, want)
	}
}

func TestIndexMessage(t *testing.T) {
	tests := []struct {
		name string
		list []runbooks.Runbook
		want bot.Message
	}{
		{
			name: "two runbooks",
			list: []runbooks.Runbook{
				{Name: "escalation", Title: "Escalation", Summary: "Who & when."},
				{Name: "restore", Title: "Restore <db>"},
			},
			want: bot.Message{
				Text: "Runbooks: escalation, restore",
				Blocks: []bot.Block{
					{Kind: bot.BlockHeader, Text: "Runbooks"},
					{Kind: bot.BlockSection, Text: "• `escalation` *Escalation*: " +
						"Who &amp; when.\n• `restore` *Restore &lt;db&gt;*"},
				},
			},
		},
		{
			name: "none",
			want: bot.Message{
				Text: "No runbooks.",
				Blocks: []bot.Block{
					{Kind: bot.BlockHeader, Text: "Runbooks"},
					{Kind: bot.BlockSection, Text: "No runbooks."},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runbooks.IndexMessage(tt.list); !equalMessages(got, tt.want) {
				t.Errorf("IndexMessage() =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestIndexMessageSplits(t *testing.T) {
	var list []runbooks.Runbook
	for i := range 100 {
		list = append(list, runbooks.Runbook{Name: strings.Repeat("n", i%7+1),
			Title: "Title", Summary: strings.Repeat("summary ", 10)})
	}

	msg := runbooks.IndexMessage(list)
	lines := 0
	for _, b := range msg.Blocks[1:] {
		if n := utf8.RuneCountInString(b.Text); n > runbooks.MaxSectionChars {
			t.Errorf("a section of %d characters", n)
		}
		lines += strings.Count(b.Text, "\n") + 1
	}
	if len(msg.Blocks) < 3 || lines != len(list) {
		t.Errorf("%d blocks with %d lines, want several with %d", len(msg.Blocks), lines,
			len(list))
	}
}

// load loads fsys or fails the test.
func load(t *testing.T, fsys fstest.MapFS) *runbooks.Index {
	t.Helper()
	idx, err := runbooks.Load(fsys)
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	return idx
}

// one is a file system of one runbook file, a.md.
func one(data string) fstest.MapFS {
	return fstest.MapFS{"a.md": {Data: []byte(data)}}
}

// file is a runbook file with title and tags (as written in YAML).
func file(title, tags string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte("---\ntitle: " + title + "\ntags: " + tags +
		"\nsummary: Test.\n---\nText.\n")}
}

// equalMessages compares the parts of messages that runbooks sets.
func equalMessages(a, b bot.Message) bool {
	return a.Text == b.Text && slices.EqualFunc(a.Blocks, b.Blocks, func(x, y bot.Block) bool {
		return x.Kind == y.Kind && x.Text == y.Text
	})
}
