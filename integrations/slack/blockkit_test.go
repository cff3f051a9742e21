package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	slackapi "github.com/slack-go/slack"

	"warroom/bot"
	"warroom/integrations/slack"
)

// asJSON returns v as Slack would receive it, decoded into plain values.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	return out
}

// at walks a decoded JSON value along keys and indexes.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := at(v, path...).(string)
	return s
}

func count(v any, path ...any) int {
	s, _ := at(v, path...).([]any)
	return len(s)
}

func fields(n int) []bot.Field {
	out := make([]bot.Field, n)
	for i := range out {
		out[i] = bot.Field{Label: fmt.Sprintf("L%d", i), Value: fmt.Sprintf("v%d", i)}
	}
	return out
}

func buttons(n int) []bot.Button {
	out := make([]bot.Button, n)
	for i := range out {
		out[i] = bot.Button{Label: fmt.Sprint(i), Action: fmt.Sprintf("a%d", i), Value: "x"}
	}
	return out
}

func TestRenderBlocks(t *testing.T) {
	tests := []struct {
		name   string
		blocks []bot.Block
		check  func(t *testing.T, got any)
	}{
		{
			name:   "header",
			blocks: []bot.Block{{Kind: bot.BlockHeader, ID: "h", Text: "INC-7: API down"}},
			check: func(t *testing.T, got any) {
				if str(got, 0, "type") != "header" || str(got, 0, "block_id") != "h" ||
					str(got, 0, "text", "type") != "plain_text" ||
					str(got, 0, "text", "text") != "INC-7: API down" {
					t.Errorf("got %v", got)
				}
			},
		},
		{
			name:   "header cut at 150",
			blocks: []bot.Block{{Kind: bot.BlockHeader, Text: strings.Repeat("é", 200)}},
			check: func(t *testing.T, got any) {
				text := str(got, 0, "text", "text")
				if n := len([]rune(text)); n != 150 || !strings.HasSuffix(text, "…") {
					t.Errorf("header has %d characters, want 150 ending in an ellipsis", n)
				}
			},
		},
		{
			name:   "section cut at 3000",
			blocks: []bot.Block{{Kind: bot.BlockSection, Text: strings.Repeat("x", 3001)}},
			check: func(t *testing.T, got any) {
				text := str(got, 0, "text", "text")
				if str(got, 0, "text", "type") != "mrkdwn" || len([]rune(text)) != 3000 ||
					!strings.HasSuffix(text, "…") {
					t.Errorf("section text of %d characters", len([]rune(text)))
				}
			},
		},
		{
			name:   "section of exactly 3000 kept whole",
			blocks: []bot.Block{{Kind: bot.BlockSection, Text: strings.Repeat("x", 3000)}},
			check: func(t *testing.T, got any) {
				if text := str(got, 0, "text", "text"); text != strings.Repeat("x", 3000) {
					t.Errorf("text changed")
				}
			},
		},
		{
			name: "empty blocks left out",
			blocks: []bot.Block{
				{Kind: bot.BlockHeader}, {Kind: bot.BlockSection}, {Kind: bot.BlockContext},
				{Kind: bot.BlockFields}, {Kind: bot.BlockActions}, {Kind: "bogus", Text: "x"},
			},
			check: func(t *testing.T, got any) {
				if got != nil {
					t.Errorf("got %v, want nothing", got)
				}
			},
		},
		{
			name: "fields, ten a section",
			blocks: []bot.Block{{Kind: bot.BlockFields, ID: "f", Text: "Details",
				Fields: append(fields(22), bot.Field{Label: "Empty"})}},
			check: func(t *testing.T, got any) {
				if count(got) != 3 || count(got, 0, "fields") != 10 ||
					count(got, 2, "fields") != 3 {
					t.Fatalf("got %d sections: %v", count(got), got)
				}
				var ids []string
				for i := range 3 {
					ids = append(ids, str(got, i, "block_id"))
				}
				if strings.Join(ids, ",") != "f,f-2,f-3" {
					t.Errorf("block ids = %v", ids)
				}
				if str(got, 0, "fields", 0, "text") != "*L0*\nv0" ||
					str(got, 0, "fields", 0, "type") != "mrkdwn" ||
					str(got, 2, "fields", 2, "text") != "*Empty*\n-" {
					t.Errorf("fields = %v", at(got, 0, "fields"))
				}
				if str(got, 0, "text", "text") != "Details" || at(got, 1, "text") != nil {
					t.Errorf("the text should lead the first section only: %v", got)
				}
			},
		},
		{
			name:   "context",
			blocks: []bot.Block{{Kind: bot.BlockContext, Text: "Declared by <@U1>"}},
			check: func(t *testing.T, got any) {
				if str(got, 0, "type") != "context" || count(got, 0, "elements") != 1 ||
					str(got, 0, "elements", 0, "type") != "mrkdwn" ||
					str(got, 0, "elements", 0, "text") != "Declared by <@U1>" {
					t.Errorf("got %v", got)
				}
			},
		},
		{
			name: "buttons",
			blocks: []bot.Block{{Kind: bot.BlockActions, ID: "card", Buttons: []bot.Button{
				{Label: "Acknowledge", Action: "incident.ack", Value: "7",
					Style: bot.StylePrimary},
				{Label: "Resolve", Action: "incident.resolve", Value: "7",
					Style: bot.StyleDanger},
				{Label: "Timeline", Action: "incident.timeline", Value: "7"},
			}}},
			check: func(t *testing.T, got any) {
				if str(got, 0, "type") != "actions" || str(got, 0, "block_id") != "card" {
					t.Fatalf("got %v", got)
				}
				b := at(got, 0, "elements")
				if str(b, 0, "type") != "button" || str(b, 0, "action_id") != "incident.ack" ||
					str(b, 0, "value") != "7" || str(b, 0, "text", "text") != "Acknowledge" ||
					str(b, 0, "style") != "primary" || str(b, 1, "style") != "danger" ||
					at(b, 2, "style") != nil {
					t.Errorf("buttons = %v", b)
				}
			},
		},
		{
			name:   "buttons, 25 a block",
			blocks: []bot.Block{{Kind: bot.BlockActions, ID: "many", Buttons: buttons(30)}},
			check: func(t *testing.T, got any) {
				if count(got) != 2 || count(got, 0, "elements") != 25 ||
					count(got, 1, "elements") != 5 || str(got, 1, "block_id") != "many-2" {
					t.Errorf("got %d blocks: %v", count(got), got)
				}
			},
		},
		{
			name:   "divider",
			blocks: []bot.Block{{Kind: bot.BlockDivider}},
			check: func(t *testing.T, got any) {
				if str(got, 0, "type") != "divider" {
					t.Errorf("got %v", got)
				}
			},
		},
		{
			name: "at most 50 blocks",
			blocks: func() []bot.Block {
				var bs []bot.Block
				for range 60 {
					bs = append(bs, bot.Block{Kind: bot.BlockDivider})
				}
				return bs
			}(),
			check: func(t *testing.T, got any) {
				if count(got) != 50 || str(got, 49, "type") != "context" ||
					!strings.Contains(str(got, 49, "elements", 0, "text"), "11 more") {
					t.Errorf("got %d blocks, last %v", count(got), at(got, count(got)-1))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := slack.RenderBlocks(bot.Message{Text: "fallback", Blocks: tt.blocks})
			var got any
			if len(blocks) > 0 {
				got = asJSON(t, blocks)
			}
			tt.check(t, got)
		})
	}
}

// TestRenderedBlocksAccepted posts messages at every limit through the
// fake, which refuses blocks the way Slack does.
func TestRenderedBlocksAccepted(t *testing.T) {
	h := newHarness(t)
	ch := h.channel(t, "inc")
	long := strings.Repeat("long text ", 400)

	msg := bot.Message{Text: "fallback", Blocks: []bot.Block{
		{Kind: bot.BlockHeader, ID: "h", Text: long},
		{Kind: bot.BlockSection, ID: "s", Text: long},
		{Kind: bot.BlockFields, ID: "f", Text: long, Fields: append(fields(25),
			bot.Field{Label: "Long", Value: long})},
		{Kind: bot.BlockContext, ID: "c", Text: long},
		{Kind: bot.BlockActions, ID: "a", Buttons: append(buttons(40),
			bot.Button{Label: long, Action: "long", Value: long})},
		{Kind: bot.BlockDivider, ID: "d"},
	}}
	for range 10 {
		msg.Blocks = append(msg.Blocks, bot.Block{Kind: bot.BlockSection, Text: "more"})
	}
	if _, err := h.client.Post(context.Background(), ch, msg); err != nil {
		t.Errorf("post: %v", err)
	}

	many := bot.Message{Text: "x"}
	for range 80 {
		many.Blocks = append(many.Blocks, bot.Block{Kind: bot.BlockDivider})
	}
	if _, err := h.client.Post(context.Background(), ch, many); err != nil {
		t.Errorf("post of 80 blocks: %v", err)
	}
}

func declareModal() bot.Modal {
	return bot.Modal{
		ID:       "incident.declare",
		Title:    "Declare an incident now please",
		Submit:   "Declare",
		Metadata: `{"channel":"C1"}`,
		Inputs: []bot.Input{
			{ID: "title", Label: "Title", Kind: bot.InputText, MaxLen: 80,
				Initial: []string{"API down"}, Hint: "One line"},
			{ID: "summary", Label: "Summary", Kind: bot.InputMultiline, Optional: true},
			{ID: "severity", Label: "Severity", Kind: bot.InputSelect,
				Options: []bot.Option{
					{Value: "P0", Label: "P0 critical"}, {Value: "P1", Label: "P1 high"},
				},
				Initial: []string{"P1"}},
			{ID: "components", Label: "Components", Kind: bot.InputMultiSelect,
				Options: []bot.Option{{Value: "api"}, {Value: "db"}, {Value: "stt"}},
				Initial: []string{"stt", "api"}},
			{ID: "private", Label: "Visibility", Kind: bot.InputCheckbox,
				Options: []bot.Option{{Value: "yes", Label: "Private channel"}}},
		},
	}
}

func TestRenderModal(t *testing.T) {
	got := asJSON(t, slack.RenderModal(declareModal()))

	top := map[string]string{
		"type":             "modal",
		"callback_id":      "incident.declare",
		"private_metadata": `{"channel":"C1"}`,
	}
	for k, want := range top {
		if str(got, k) != want {
			t.Errorf("%s = %q, want %q", k, str(got, k), want)
		}
	}
	title := str(got, "title", "text")
	if len([]rune(title)) != 24 || !strings.HasSuffix(title, "…") {
		t.Errorf("title = %q, want 24 characters", title)
	}
	if str(got, "close", "text") != "Cancel" || str(got, "submit", "text") != "Declare" {
		t.Errorf("close, submit = %v, %v", at(got, "close"), at(got, "submit"))
	}

	tests := []struct {
		index   int
		id      string
		element string
		check   func(el any) bool
	}{
		{0, "title", "plain_text_input", func(el any) bool {
			return str(el, "initial_value") == "API down" && at(el, "max_length") == 80.0 &&
				at(el, "multiline") == nil
		}},
		{1, "summary", "plain_text_input", func(el any) bool {
			return at(el, "multiline") == true
		}},
		{2, "severity", "static_select", func(el any) bool {
			return count(el, "options") == 2 && str(el, "initial_option", "value") == "P1" &&
				str(el, "options", 0, "text", "text") == "P0 critical"
		}},
		{3, "components", "multi_static_select", func(el any) bool {
			return count(el, "initial_options") == 2 &&
				str(el, "initial_options", 0, "value") == "api" &&
				str(el, "options", 1, "text", "text") == "db"
		}},
		{4, "private", "checkboxes", func(el any) bool {
			return count(el, "options") == 1 && at(el, "initial_options") == nil
		}},
	}
	for _, tt := range tests {
		b := at(got, "blocks", tt.index)
		el := at(b, "element")
		if str(b, "type") != "input" || str(b, "block_id") != tt.id ||
			str(el, "action_id") != tt.id || str(el, "type") != tt.element || !tt.check(el) {
			t.Errorf("input %s = %v", tt.id, b)
		}
	}
	if at(got, "blocks", 1, "optional") != true || at(got, "blocks", 0, "optional") != nil ||
		str(got, "blocks", 0, "hint", "text") != "One line" {
		t.Errorf("optional or hint lost: %v", at(got, "blocks"))
	}
}

// TestModalRoundTrip renders a modal, fills its state the way Slack does
// on submission with the initial values, and reads them back.
func TestModalRoundTrip(t *testing.T) {
	modal := declareModal()
	rendered := asJSON(t, slack.RenderModal(modal))

	values := map[string]any{}
	for _, b := range at(rendered, "blocks").([]any) {
		el := at(b, "element")
		state := map[string]any{"type": str(el, "type")}
		switch str(el, "type") {
		case "plain_text_input":
			state["value"] = at(el, "initial_value")
		case "static_select":
			state["selected_option"] = at(el, "initial_option")
		default:
			opts := at(el, "initial_options")
			if opts == nil {
				opts = []any{}
			}
			state["selected_options"] = opts
		}
		values[str(b, "block_id")] = map[string]any{str(el, "action_id"): state}
	}
	view := map[string]any{
		"id": "V1", "type": "modal", "callback_id": at(rendered, "callback_id"),
		"private_metadata": at(rendered, "private_metadata"),
		"blocks":           at(rendered, "blocks"),
		"state":            map[string]any{"values": values},
	}
	raw, _ := json.Marshal(view)
	var submitted slackapi.View
	if err := json.Unmarshal(raw, &submitted); err != nil {
		t.Fatalf("decode view: %v", err)
	}

	got := slack.SubmissionValues(submitted)
	want := map[string][]string{}
	for _, in := range modal.Inputs {
		want[in.ID] = []string{}
		for _, o := range in.Options {
			for _, v := range in.Initial {
				if o.Value == v {
					want[in.ID] = append(want[in.ID], v)
				}
			}
		}
		if len(in.Options) == 0 {
			want[in.ID] = append(want[in.ID], in.Initial...)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
	if submitted.CallbackID != modal.ID || submitted.PrivateMetadata != modal.Metadata {
		t.Errorf("callback %q, metadata %q", submitted.CallbackID, submitted.PrivateMetadata)
	}
}

func TestSubmissionValues(t *testing.T) {
	const state = `{
	  "id": "V0123", "type": "modal", "callback_id": "incident.declare",
	  "state": {"values": {
	    "title": {"title": {"type": "plain_text_input", "value": "Checkout errors"}},
	    "summary": {"summary": {"type": "plain_text_input", "value": null}},
	    "severity": {"severity": {"type": "static_select",
	      "selected_option": {"text": {"type": "plain_text", "text": "P0"}, "value": "P0"}}},
	    "owner": {"owner": {"type": "static_select", "selected_option": null}},
	    "components": {"components": {"type": "multi_static_select", "selected_options": [
	      {"text": {"type": "plain_text", "text": "API"}, "value": "api"},
	      {"text": {"type": "plain_text", "text": "DB"}, "value": "db"}]}},
	    "flags": {"flags": {"type": "checkboxes", "selected_options": []}},
	    "commander": {"commander": {"type": "users_select", "selected_user": "U1"}}
	  }}
	}`
	var view slackapi.View
	if err := json.Unmarshal([]byte(state), &view); err != nil {
		t.Fatal(err)
	}

	want := map[string][]string{
		"title":      {"Checkout errors"},
		"summary":    {},
		"severity":   {"P0"},
		"owner":      {},
		"components": {"api", "db"},
		"flags":      {},
		"commander":  {"U1"},
	}
	if got := slack.SubmissionValues(view); !reflect.DeepEqual(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
	if got := slack.SubmissionValues(slackapi.View{}); len(got) != 0 {
		t.Errorf("a view without state gave %v", got)
	}
}

// TestRenderedModalAccepted opens the rendered modal on the fake, which
// checks views the way Slack does.
func TestRenderedModalAccepted(t *testing.T) {
	h := newHarness(t)
	modal := declareModal()
	modal.Inputs = append(modal.Inputs, bot.Input{
		ID: "long", Label: strings.Repeat("l", 3000), Kind: bot.InputText,
		MaxLen: 5000, Initial: []string{strings.Repeat("i", 4000)},
	})

	if err := h.client.OpenModal(context.Background(), "trig", modal); err != nil {
		t.Errorf("open: %v", err)
	}
}
