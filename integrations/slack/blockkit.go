package slack

import (
	"fmt"
	"slices"

	slackapi "github.com/slack-go/slack"

	"warroom/bot"
)

// Block Kit limits the renderer keeps to. Text beyond a limit is cut with
// an ellipsis; a list beyond one is split over several blocks.
const (
	maxMessageBlocks  = 50
	maxHeaderChars    = 150
	maxSectionChars   = 3000
	maxFieldChars     = 2000
	maxFieldsPerBlock = 10
	maxButtonsPerRow  = 25
	maxButtonChars    = 75
	maxButtonValue    = 2000
	maxModalTitle     = 24
	maxLabelChars     = 2000
	maxOptionChars    = 75
	maxSelectOptions  = 100
	maxCheckboxes     = 10
	maxInputChars     = 3000
)

// RenderBlocks renders msg's blocks as Block Kit. Blocks with nothing to
// show are left out, since Slack refuses empty text. Fields and buttons
// beyond what one block holds go on in further blocks, whose block ids,
// when the block has one, end in "-2", "-3" and so on. A message of more
// than 50 blocks is cut to 49 and a line that says how many were left out.
func RenderBlocks(msg bot.Message) []slackapi.Block {
	var out []slackapi.Block
	for _, b := range msg.Blocks {
		out = append(out, renderBlock(b)...)
	}

	if len(out) > maxMessageBlocks {
		left := len(out) - (maxMessageBlocks - 1)
		out = append(out[:maxMessageBlocks-1], slackapi.NewContextBlock("",
			mrkdwn(fmt.Sprintf("_%d more blocks not shown._", left))))
	}
	return out
}

// renderBlock renders one block as one or more Block Kit blocks.
func renderBlock(b bot.Block) []slackapi.Block {
	switch b.Kind {
	case bot.BlockHeader:
		if b.Text == "" {
			return nil
		}
		text := plain(truncate(b.Text, maxHeaderChars))
		header := slackapi.NewHeaderBlock(text, slackapi.HeaderBlockOptionBlockID(b.ID))
		return []slackapi.Block{header}
	case bot.BlockSection:
		if b.Text == "" {
			return nil
		}
		return []slackapi.Block{section(b.ID, b.Text, nil)}
	case bot.BlockFields:
		return fieldBlocks(b)
	case bot.BlockContext:
		if b.Text == "" {
			return nil
		}
		text := mrkdwn(truncate(b.Text, maxSectionChars))
		return []slackapi.Block{slackapi.NewContextBlock(b.ID, text)}
	case bot.BlockActions:
		return actionBlocks(b)
	case bot.BlockDivider:
		return []slackapi.Block{&slackapi.DividerBlock{Type: slackapi.MBTDivider, BlockID: b.ID}}
	}
	return nil
}

// fieldBlocks renders labelled values as sections of at most ten fields,
// the block's text leading the first.
func fieldBlocks(b bot.Block) []slackapi.Block {
	var out []slackapi.Block
	for i, chunk := range chunks(b.Fields, maxFieldsPerBlock) {
		fields := make([]*slackapi.TextBlockObject, 0, len(chunk))
		for _, f := range chunk {
			fields = append(fields, mrkdwn(truncate(fieldText(f), maxFieldChars)))
		}
		text := ""
		if i == 0 {
			text = b.Text
		}
		out = append(out, section(partID(b.ID, i), text, fields))
	}
	if len(out) == 0 && b.Text != "" {
		out = append(out, section(b.ID, b.Text, nil))
	}
	return out
}

// fieldText is a field as Slack shows it: the label in bold over the value.
func fieldText(f bot.Field) string {
	value := f.Value
	if value == "" {
		value = "-"
	}
	if f.Label == "" {
		return value
	}
	return "*" + f.Label + "*\n" + value
}

// actionBlocks renders buttons as actions blocks of at most 25 buttons.
func actionBlocks(b bot.Block) []slackapi.Block {
	var out []slackapi.Block
	for i, chunk := range chunks(b.Buttons, maxButtonsPerRow) {
		elems := make([]slackapi.BlockElement, 0, len(chunk))
		for _, btn := range chunk {
			elems = append(elems, button(btn))
		}
		out = append(out, slackapi.NewActionBlock(partID(b.ID, i), elems...))
	}
	return out
}

func button(b bot.Button) *slackapi.ButtonBlockElement {
	label := b.Label
	if label == "" {
		label = b.Action
	}
	el := slackapi.NewButtonBlockElement(b.Action, truncate(b.Value, maxButtonValue),
		plain(truncate(label, maxButtonChars)))
	switch b.Style {
	case bot.StylePrimary:
		el.Style = slackapi.StylePrimary
	case bot.StyleDanger:
		el.Style = slackapi.StyleDanger
	}
	return el
}

func section(id, text string, fields []*slackapi.TextBlockObject) *slackapi.SectionBlock {
	var t *slackapi.TextBlockObject
	if text != "" {
		t = mrkdwn(truncate(text, maxSectionChars))
	}
	return slackapi.NewSectionBlock(t, fields, nil, slackapi.SectionBlockOptionBlockID(id))
}

// RenderModal renders m as a modal view: callback_id is m.ID and
// private_metadata m.Metadata. Each input becomes an input block whose
// block_id and action_id are both the input's ID, which SubmissionValues
// and the handlers of submissions rely on. The title is cut to Slack's 24
// characters.
func RenderModal(m bot.Modal) slackapi.ModalViewRequest {
	title := m.Title
	if title == "" {
		title = "warroom"
	}
	view := slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		Title:           plain(truncate(title, maxModalTitle)),
		Close:           plain("Cancel"),
		CallbackID:      m.ID,
		PrivateMetadata: m.Metadata,
	}

	if m.Submit != "" || len(m.Inputs) > 0 {
		submit := m.Submit
		if submit == "" {
			submit = "Submit"
		}
		view.Submit = plain(truncate(submit, maxModalTitle))
	}
	for _, in := range m.Inputs {
		view.Blocks.BlockSet = append(view.Blocks.BlockSet, inputBlock(in))
	}
	return view
}

func inputBlock(in bot.Input) *slackapi.InputBlock {
	label := in.Label
	if label == "" {
		label = in.ID
	}
	var hint *slackapi.TextBlockObject
	if in.Hint != "" {
		hint = plain(truncate(in.Hint, maxLabelChars))
	}

	block := slackapi.NewInputBlock(in.ID, plain(truncate(label, maxLabelChars)), hint,
		inputElement(in))
	block.Optional = in.Optional
	return block
}

// inputElement renders the form field of in, with in.ID as its action_id.
// An unknown kind is a one-line text field.
func inputElement(in bot.Input) slackapi.BlockElement {
	switch in.Kind {
	case bot.InputSelect:
		opts := options(in.Options, maxSelectOptions)
		el := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, nil, in.ID, opts...)
		if chosen := initialOptions(opts, in.Initial); len(chosen) > 0 {
			el.InitialOption = chosen[0]
		}
		return el
	case bot.InputMultiSelect:
		opts := options(in.Options, maxSelectOptions)
		el := slackapi.NewOptionsMultiSelectBlockElement(
			slackapi.MultiOptTypeStatic, nil, in.ID, opts...)
		el.InitialOptions = initialOptions(opts, in.Initial)
		return el
	case bot.InputCheckbox:
		opts := options(in.Options, maxCheckboxes)
		el := slackapi.NewCheckboxGroupsBlockElement(in.ID, opts...)
		el.InitialOptions = initialOptions(opts, in.Initial)
		return el
	}

	el := slackapi.NewPlainTextInputBlockElement(nil, in.ID)
	el.Multiline = in.Kind == bot.InputMultiline
	limit := maxInputChars
	if in.MaxLen > 0 {
		limit = min(in.MaxLen, maxInputChars)
		el.MaxLength = limit
	}
	if len(in.Initial) > 0 {
		el.InitialValue = truncate(in.Initial[0], limit)
	}
	return el
}

// options renders at most limit choices. Slack wants an initial option to
// be the same object as one of the options, so they are built once.
func options(choices []bot.Option, limit int) []*slackapi.OptionBlockObject {
	out := make([]*slackapi.OptionBlockObject, 0, min(len(choices), limit))
	for _, o := range choices[:min(len(choices), limit)] {
		label := o.Label
		if label == "" {
			label = o.Value
		}
		out = append(out, slackapi.NewOptionBlockObject(o.Value,
			plain(truncate(label, maxOptionChars)), nil))
	}
	return out
}

// initialOptions returns the options whose values are in initial, in the
// options' order.
func initialOptions(
	opts []*slackapi.OptionBlockObject, initial []string,
) []*slackapi.OptionBlockObject {
	var out []*slackapi.OptionBlockObject
	for _, o := range opts {
		if slices.Contains(initial, o.Value) {
			out = append(out, o)
		}
	}
	return out
}

// SubmissionValues reads what a user entered in a submitted view, the
// inverse of RenderModal: view.state.values[block_id][action_id] becomes
// the values of the input whose ID is the block_id. Text fields give
// their text, selects and checkboxes the values of the options chosen; an
// input left empty is present with no values.
func SubmissionValues(view slackapi.View) map[string][]string {
	out := make(map[string][]string)
	if view.State == nil {
		return out
	}

	for blockID, actions := range view.State.Values {
		values := []string{}
		ids := make([]string, 0, len(actions))
		for id := range actions {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			values = append(values, actionValues(actions[id])...)
		}
		out[blockID] = values
	}
	return out
}

// actionValues returns the values an element's state holds, whatever its
// type: each type fills only its own fields.
func actionValues(a slackapi.BlockAction) []string {
	var out []string
	add := func(vs ...string) {
		for _, v := range vs {
			if v != "" {
				out = append(out, v)
			}
		}
	}

	add(a.Value, a.SelectedOption.Value)
	for _, o := range a.SelectedOptions {
		add(o.Value)
	}
	add(a.SelectedUser, a.SelectedChannel, a.SelectedConversation, a.SelectedDate, a.SelectedTime)
	add(a.SelectedUsers...)
	add(a.SelectedChannels...)
	add(a.SelectedConversations...)
	return out
}

// plain makes a plain-text object. The bot's text is chat markup, in which
// people's &, < and > arrive escaped; plain text shows entities as typed,
// so they are turned back into the characters.
func plain(text string) *slackapi.TextBlockObject {
	text = bot.Unescape(text)
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, text, true, false)
}

func mrkdwn(text string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, false)
}

// partID names the i-th block a block was split into: the block's own id
// first, then id-2, id-3 and so on. An empty id stays empty.
func partID(id string, i int) string {
	if id == "" || i == 0 {
		return id
	}
	return fmt.Sprintf("%s-%d", id, i+1)
}

// chunks splits s into slices of at most n.
func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for c := range slices.Chunk(s, n) {
		out = append(out, c)
	}
	return out
}
