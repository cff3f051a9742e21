package bot

import "strings"

// Message is a chat message in a neutral form. Text uses Slack's mrkdwn
// (*bold*, <@U123> mentions, <url|label> links), the lingua franca of chat
// tools; the Slack adapter renders Blocks as Block Kit and the shell prints
// them as text.
type Message struct {
	// Text is the notification and fallback text.
	Text   string
	Blocks []Block
	// Thread, when set, posts the message as a reply in that thread.
	Thread string
	// Broadcast also shows a thread reply in the channel.
	Broadcast bool
}

// BlockKind says how a block is laid out.
type BlockKind string

// The kinds of block a message is built from.
const (
	BlockHeader  BlockKind = "header"
	BlockSection BlockKind = "section"
	BlockFields  BlockKind = "fields"
	BlockContext BlockKind = "context"
	BlockActions BlockKind = "actions"
	BlockDivider BlockKind = "divider"
)

// Block is one part of a message.
type Block struct {
	Kind BlockKind
	// ID names the block so an action can tell which block it came from.
	ID      string
	Text    string
	Fields  []Field
	Buttons []Button
}

// Field is a labelled value, shown two to a row.
type Field struct {
	Label string
	Value string
}

// ButtonStyle colours a button.
type ButtonStyle string

// The button styles chat tools share.
const (
	StyleDefault ButtonStyle = ""
	StylePrimary ButtonStyle = "primary"
	StyleDanger  ButtonStyle = "danger"
)

// Button is a button that sends Action with Value back to the bot.
type Button struct {
	Label  string
	Action string
	Value  string
	Style  ButtonStyle
}

// Modal is a form the user fills in; its submission comes back as a
// Submission with the same ID.
type Modal struct {
	ID     string
	Title  string
	Submit string
	// Metadata travels with the modal and comes back on submission.
	Metadata string
	Inputs   []Input
}

// InputKind is the kind of form field.
type InputKind string

// The kinds of form field a modal can hold.
const (
	InputText        InputKind = "text"
	InputMultiline   InputKind = "multiline"
	InputSelect      InputKind = "select"
	InputMultiSelect InputKind = "multiselect"
	InputCheckbox    InputKind = "checkbox"
)

// Input is one field of a modal.
type Input struct {
	ID       string
	Label    string
	Hint     string
	Kind     InputKind
	Options  []Option
	Initial  []string
	Optional bool
	MaxLen   int
}

// Option is one choice of a select or checkbox input.
type Option struct {
	Value string
	Label string
}

var (
	escaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// Escape makes text people typed safe in chat markup, escaping &, < and >
// the way Slack escapes what people type in a message.
func Escape(s string) string { return escaper.Replace(s) }

// Unescape undoes Escape, for places that show plain text: plain-text
// blocks, forms, the terminal, web pages.
func Unescape(s string) string { return unescaper.Replace(s) }
