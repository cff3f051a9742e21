package commands

import (
	"reflect"
	"testing"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		text  string
		words []string
		flags map[string]string
	}{
		{"declare API down --sev P1", []string{"declare", "API", "down"},
			map[string]string{"severity": "P1"}},
		{"declare --private  x  --component=api,stt", []string{"declare", "x"},
			map[string]string{"private": "true", "components": "api,stt"}},
		{"declare x --sev", []string{"declare", "x"}, map[string]string{"severity": ""}},
		{"note -- a dash", []string{"note", "--", "a", "dash"}, map[string]string{}},
		{"", nil, map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			a := parseArgs(tc.text)
			if !reflect.DeepEqual(a.words, tc.words) || !reflect.DeepEqual(a.flags, tc.flags) {
				t.Errorf("parseArgs(%q) = %q %v, want %q %v", tc.text, a.words, a.flags,
					tc.words, tc.flags)
			}
		})
	}
}

func TestMentionedUser(t *testing.T) {
	cases := []struct{ word, id, handle string }{
		{"<@U123ABC|alice>", "U123ABC", ""},
		{"<@W42>", "W42", ""},
		{"@bob", "", "bob"},
		{"carol", "", "carol"},
		{"<@u1>", "", "<@u1>"},
	}
	for _, tc := range cases {
		id, handle := mentionedUser(tc.word)
		if id != tc.id || handle != tc.handle {
			t.Errorf("mentionedUser(%q) = %q, %q", tc.word, id, handle)
		}
	}
}

// FuzzParseArgs feeds arbitrary command text through the parser: it must
// never panic, and every word it returns comes from the text.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{"declare API down --sev P1", "--", "--=", "a --b=c --d e",
		"role comms <@U1|x>", "\x00--private\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := parseArgs(s)
		for _, w := range a.words {
			if w == "" {
				t.Fatalf("empty word from %q", s)
			}
		}
		mentionedUser(a.word(0))
		splitList(a.flags["components"])
	})
}
