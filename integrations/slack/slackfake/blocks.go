package slackfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Block Kit limits the fake holds blocks to, as Slack does.
const (
	maxMessageBlocks = 50
	maxModalBlocks   = 100
	maxBlockID       = 255
	maxActionID      = 255
	maxHeaderText    = 150
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxFields        = 10
	maxContextElems  = 10
	maxActionElems   = 25
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxOptionText    = 75
	maxOptionValue   = 150
	maxSelectOptions = 100
	maxCheckboxes    = 10
	maxLabel         = 2000
	maxPlaceholder   = 150
	maxInputLength   = 3000
	maxModalTitle    = 24
	maxCallbackID    = 255
	maxMetadata      = 3000
)

// checker collects what Slack would refuse, in Slack's own words: an
// "[ERROR] ..." line ending in the JSON pointer of the fault.
type checker struct{ problems []string }

func (c *checker) fail(ptr, msg string) {
	c.problems = append(c.problems, "[ERROR] "+msg+" [json-pointer:"+ptr+"]")
}

// checkBlocks checks a blocks array sent as JSON text and returns it
// compacted, with what Slack would refuse in it.
func checkBlocks(raw string, max int) (json.RawMessage, []string) {
	var blocks []any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil, []string{"[ERROR] blocks must be a JSON array [json-pointer:/blocks]"}
	}

	var c checker
	c.blocks(blocks, max)

	var buf bytes.Buffer
	_ = json.Compact(&buf, []byte(raw))
	return json.RawMessage(buf.Bytes()), c.problems
}

// checkView checks a modal view object.
func checkView(doc map[string]any) []string {
	var c checker
	if doc["type"] != "modal" {
		c.fail("/view/type", "must be modal")
	}
	c.text(doc["title"], "/view/title", true, maxModalTitle, true)
	c.text(doc["close"], "/view/close", true, maxModalTitle, false)
	c.text(doc["submit"], "/view/submit", true, maxModalTitle, false)
	c.length(doc["callback_id"], "/view/callback_id", maxCallbackID)
	c.length(doc["private_metadata"], "/view/private_metadata", maxMetadata)

	blocks, _ := doc["blocks"].([]any)
	c.blocks(blocks, maxModalBlocks)
	isInput := func(b any) bool { return field(b, "type") == "input" }
	hasInput := slices.ContainsFunc(blocks, isInput)
	if hasInput && doc["submit"] == nil {
		c.fail("/view/submit", "submit is required when there are input blocks")
	}
	return c.problems
}

func (c *checker) blocks(blocks []any, max int) {
	if len(blocks) > max {
		c.fail("/blocks", fmt.Sprintf("no more than %d items allowed", max))
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		ptr := fmt.Sprintf("/blocks/%d", i)
		block, ok := b.(map[string]any)
		if !ok {
			c.fail(ptr, "must be an object")
			continue
		}
		if id := field(block, "block_id"); id != "" {
			c.length(id, ptr+"/block_id", maxBlockID)
			if ids[id] {
				c.fail(ptr+"/block_id", "duplicate block_id")
			}
			ids[id] = true
		}
		c.block(block, ptr)
	}
}

func (c *checker) block(b map[string]any, ptr string) {
	switch field(b, "type") {
	case "":
		c.fail(ptr, "missing required field: type")
	case "header":
		c.text(b["text"], ptr+"/text", true, maxHeaderText, true)
	case "section":
		fields, _ := b["fields"].([]any)
		if b["text"] == nil && len(fields) == 0 {
			c.fail(ptr, "must provide either text or fields")
		}
		c.text(b["text"], ptr+"/text", false, maxSectionText, false)
		if len(fields) > maxFields {
			c.fail(ptr+"/fields", fmt.Sprintf("no more than %d items allowed", maxFields))
		}
		for i, f := range fields {
			c.text(f, fmt.Sprintf("%s/fields/%d", ptr, i), false, maxFieldText, true)
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			c.element(acc, ptr+"/accessory")
		}
	case "context":
		elems, _ := b["elements"].([]any)
		if len(elems) == 0 || len(elems) > maxContextElems {
			c.fail(ptr+"/elements", fmt.Sprintf("must hold 1 to %d items", maxContextElems))
		}
		for i, e := range elems {
			if t := field(e, "type"); t == "plain_text" || t == "mrkdwn" {
				c.text(e, fmt.Sprintf("%s/elements/%d", ptr, i), false, maxSectionText, true)
			}
		}
	case "actions":
		elems, _ := b["elements"].([]any)
		if len(elems) == 0 || len(elems) > maxActionElems {
			c.fail(ptr+"/elements", fmt.Sprintf("must hold 1 to %d items", maxActionElems))
		}
		ids := map[string]bool{}
		for i, e := range elems {
			eptr := fmt.Sprintf("%s/elements/%d", ptr, i)
			el, _ := e.(map[string]any)
			c.element(el, eptr)
			if id := field(el, "action_id"); id != "" {
				if ids[id] {
					c.fail(eptr+"/action_id", "duplicate action_id in block")
				}
				ids[id] = true
			}
		}
	case "input":
		c.text(b["label"], ptr+"/label", true, maxLabel, true)
		c.text(b["hint"], ptr+"/hint", true, maxLabel, false)
		el, ok := b["element"].(map[string]any)
		if !ok {
			c.fail(ptr+"/element", "missing required field: element")
			return
		}
		c.element(el, ptr+"/element")
	}
}

func (c *checker) element(el map[string]any, ptr string) {
	if el == nil {
		c.fail(ptr, "must be an object")
		return
	}
	c.length(el["action_id"], ptr+"/action_id", maxActionID)

	switch field(el, "type") {
	case "":
		c.fail(ptr, "missing required field: type")
	case "button":
		c.text(el["text"], ptr+"/text", true, maxButtonText, true)
		c.length(el["value"], ptr+"/value", maxButtonValue)
		if st := field(el, "style"); st != "" && st != "primary" && st != "danger" {
			c.fail(ptr+"/style", "must be primary or danger")
		}
	case "static_select", "multi_static_select":
		c.text(el["placeholder"], ptr+"/placeholder", true, maxPlaceholder, false)
		c.options(el, ptr, maxSelectOptions, true)
	case "checkboxes", "radio_buttons":
		c.options(el, ptr, maxCheckboxes, false)
	case "plain_text_input":
		c.text(el["placeholder"], ptr+"/placeholder", true, maxPlaceholder, false)
		maxLen := number(el["max_length"])
		if maxLen > maxInputLength {
			c.fail(ptr+"/max_length", fmt.Sprintf("must be at most %d", maxInputLength))
		}
		if v, ok := el["initial_value"].(string); ok && maxLen > 0 &&
			utf8.RuneCountInString(v) > maxLen {
			c.fail(ptr+"/initial_value", "must not be longer than max_length")
		}
	}
}

// options checks an element's options, and that its initial options are
// among them, as Slack insists.
func (c *checker) options(el map[string]any, ptr string, max int, plain bool) {
	opts, _ := el["options"].([]any)
	if len(opts) == 0 && el["option_groups"] == nil {
		c.fail(ptr+"/options", "must provide options")
	}
	if len(opts) > max {
		c.fail(ptr+"/options", fmt.Sprintf("no more than %d items allowed", max))
	}
	for i, o := range opts {
		optr := fmt.Sprintf("%s/options/%d", ptr, i)
		c.text(fieldAny(o, "text"), optr+"/text", plain, maxOptionText, true)
		v, _ := fieldAny(o, "value").(string)
		if v == "" || utf8.RuneCountInString(v) > maxOptionValue {
			c.fail(optr+"/value", fmt.Sprintf("must be 1 to %d characters", maxOptionValue))
		}
	}

	initial, _ := el["initial_options"].([]any)
	if o := el["initial_option"]; o != nil {
		initial = append(initial, o)
	}
	for _, o := range initial {
		if !slices.ContainsFunc(opts, func(x any) bool { return sameOption(x, o) }) {
			c.fail(ptr+"/initial_option", "must match one of the options")
		}
	}
}

func sameOption(a, b any) bool {
	ta, _ := fieldAny(a, "text").(map[string]any)
	tb, _ := fieldAny(b, "text").(map[string]any)
	return field(a, "value") == field(b, "value") && field(ta, "text") == field(tb, "text")
}

// text checks a text object: its type, plain_text only when plain is set,
// and 1 to max characters.
func (c *checker) text(v any, ptr string, plain bool, max int, required bool) {
	if v == nil {
		if required {
			c.fail(ptr, "missing required field")
		}
		return
	}
	t := field(v, "type")
	switch {
	case plain && t != "plain_text":
		c.fail(ptr+"/type", "must be plain_text")
	case t != "plain_text" && t != "mrkdwn":
		c.fail(ptr+"/type", "must be plain_text or mrkdwn")
	}
	n := utf8.RuneCountInString(field(v, "text"))
	if n == 0 || n > max {
		c.fail(ptr+"/text", fmt.Sprintf("must be 1 to %d characters", max))
	}
}

func (c *checker) length(v any, ptr string, max int) {
	if s, ok := v.(string); ok && utf8.RuneCountInString(s) > max {
		c.fail(ptr, fmt.Sprintf("must be at most %d characters", max))
	}
}

// field returns obj[key] as a string, "" when obj is no object or the
// value no string.
func field(obj any, key string) string {
	s, _ := fieldAny(obj, key).(string)
	return s
}

// fieldAny returns obj[key], nil when obj is no object.
func fieldAny(obj any, key string) any {
	m, ok := obj.(map[string]any)
	if !ok {
		return nil
	}
	return m[key]
}

func number(v any) int {
	f, _ := v.(float64)
	return int(f)
}
