package shell

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"warroom/bot"
)

// fill asks for a form's inputs one at a time and submits it, asking again
// for the inputs the bot finds fault with, until the bot takes it or the
// person closes it with /cancel. A form that answers with another form
// goes on to that one.
func (s *Shell) fill(ctx context.Context, modal *bot.Modal, channel string) error {
	for modal != nil {
		s.print(fmt.Sprintf("== %s == (answer each question; /cancel closes the form)\n",
			modal.Title))

		values := map[string][]string{}
		todo := modal.Inputs
		for {
			if err := s.askAll(ctx, todo, values); err != nil {
				if errors.Is(err, errCancelled) {
					s.print("(form closed; nothing was sent)\n")
					return nil
				}
				s.print("\n(form closed; nothing was sent)\n")
				return err
			}

			reply := s.fd.Submit(ctx, bot.Submission{
				ModalID:   modal.ID,
				Metadata:  modal.Metadata,
				UserID:    s.user,
				Values:    maps.Clone(values),
				ReplyTo:   bot.Recipient{UserID: s.user, ChannelID: channel},
				RequestID: s.requestID(),
			})
			if len(reply.FieldErrors) == 0 {
				s.show(reply, channel)
				s.settle()
				modal = reply.Modal
				break
			}

			s.settle()
			todo = s.faults(modal, reply.FieldErrors)
		}
	}
	return nil
}

// askAll asks for each input and records the answers in values; an input
// left empty has no value.
func (s *Shell) askAll(ctx context.Context, inputs []bot.Input, values map[string][]string) error {
	for _, in := range inputs {
		v, err := s.ask(ctx, in)
		if err != nil {
			return fmt.Errorf("input %q: %w", in.ID, err)
		}

		if len(v) == 0 {
			delete(values, in.ID)
			continue
		}
		values[in.ID] = v
	}
	return nil
}

// faults prints what the bot found wrong with the form and returns the
// inputs to ask again: those named, or all when it named none of them.
func (s *Shell) faults(modal *bot.Modal, problems map[string]string) []bot.Input {
	var sb strings.Builder
	sb.WriteString("The form needs changes:\n")
	var again []bot.Input
	for _, in := range modal.Inputs {
		if p, ok := problems[in.ID]; ok {
			fmt.Fprintf(&sb, "  %s: %s\n", in.Label, p)
			again = append(again, in)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(problems)) {
		if !slices.ContainsFunc(modal.Inputs, func(in bot.Input) bool { return in.ID == id }) {
			fmt.Fprintf(&sb, "  %s: %s\n", id, problems[id])
		}
	}
	s.print(sb.String())

	if len(again) == 0 {
		return modal.Inputs
	}
	return again
}

// ask asks for one input until the answer fits it, and returns the
// values to submit.
func (s *Shell) ask(ctx context.Context, in bot.Input) ([]string, error) {
	s.print(question(in))

	for {
		answer, err := s.answerLine(ctx, in.Kind == bot.InputMultiline)
		if err != nil {
			return nil, err
		}

		v, problem := parseAnswer(in, answer)
		if problem == "" {
			return v, nil
		}
		s.print("  " + problem + "\n")
	}
}

// answerLine reads one answer: one line, or for a multiline input the
// lines up to an empty one.
func (s *Shell) answerLine(ctx context.Context, multiline bool) (string, error) {
	var lines []string
	for {
		prompt := "  > "
		if len(lines) > 0 {
			prompt = "  | "
		}
		s.chat.showPrompt(s.out, prompt)
		line, err := s.next(ctx)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(line) == "/cancel" {
			return "", errCancelled
		}

		if !multiline {
			return strings.TrimSpace(line), nil
		}
		if strings.TrimSpace(line) == "" {
			return strings.TrimSpace(strings.Join(lines, "\n")), nil
		}
		lines = append(lines, strings.TrimRight(line, " \t"))
	}
}

// question is what the shell shows for an input: its label, what to type,
// its hint and its options, numbered.
func question(in bot.Input) string {
	var how []string
	switch in.Kind {
	case bot.InputSelect:
		how = append(how, "pick one, by number or value")
	case bot.InputMultiSelect:
		how = append(how, "pick any, by numbers or values separated by commas")
	case bot.InputCheckbox:
		if len(in.Options) == 1 {
			how = append(how, "y or n")
		} else {
			how = append(how, "tick any, by numbers or values separated by commas")
		}
	case bot.InputMultiline:
		how = append(how, "one or more lines, then an empty line")
	}
	if in.MaxLen > 0 {
		how = append(how, fmt.Sprintf("at most %d characters", in.MaxLen))
	}
	switch {
	case len(in.Initial) > 0:
		how = append(how, "Enter keeps "+strings.Join(in.Initial, ", "))
	case in.Optional:
		how = append(how, "Enter skips")
	}

	var sb strings.Builder
	sb.WriteString(in.Label)
	if in.Optional {
		sb.WriteString(" (optional)")
	}
	if len(how) > 0 {
		sb.WriteString(": " + strings.Join(how, "; "))
	}
	sb.WriteString("\n")
	if in.Hint != "" {
		sb.WriteString("  " + in.Hint + "\n")
	}
	for i, o := range in.Options {
		fmt.Fprintf(&sb, "  %d) %s", i+1, o.Label)
		if !strings.EqualFold(o.Label, o.Value) && !strings.HasPrefix(o.Label, o.Value+" ") {
			fmt.Fprintf(&sb, " [%s]", o.Value)
		}
		if slices.Contains(in.Initial, o.Value) {
			sb.WriteString(" (current)")
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// parseAnswer turns what was typed for an input into the values a
// submission carries, or says what is wrong with it. An empty answer keeps
// the input's initial values, or skips an optional input.
func parseAnswer(in bot.Input, answer string) ([]string, string) {
	answer = strings.TrimSpace(answer)
	if answer == "" {
		switch {
		case len(in.Initial) > 0:
			return slices.Clone(in.Initial), ""
		case in.Optional:
			return nil, ""
		}
		return nil, "This one is required; /cancel closes the form."
	}

	switch in.Kind {
	case bot.InputSelect:
		v, problem := pick(in.Options, answer)
		if problem == "" && len(v) != 1 {
			return nil, "Pick just one."
		}
		return v, problem
	case bot.InputMultiSelect:
		return pick(in.Options, answer)
	case bot.InputCheckbox:
		return tick(in, answer)
	}

	if n := utf8.RuneCountInString(answer); in.MaxLen > 0 && n > in.MaxLen {
		return nil, fmt.Sprintf("That is %d characters long; at most %d fit.", n, in.MaxLen)
	}
	return []string{answer}, ""
}

// tick reads a checkbox answer: like a multiselect, and for a single box
// also yes or no.
func tick(in bot.Input, answer string) ([]string, string) {
	if len(in.Options) == 1 {
		switch strings.ToLower(answer) {
		case "y", "yes", "x", "true", "on":
			return []string{in.Options[0].Value}, ""
		case "n", "no", "false", "off":
			if !in.Optional {
				return nil, "This box must be ticked to go on."
			}
			return nil, ""
		}
	}
	return pick(in.Options, answer)
}

// pick reads choices separated by commas or spaces, each an option's
// number, value or label, into the options' values in the order given.
func pick(opts []bot.Option, answer string) ([]string, string) {
	var out []string
	add := func(v string) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}

	for _, part := range strings.Split(answer, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if v, ok := option(opts, part); ok {
			add(v)
			continue
		}

		for _, word := range strings.Fields(part) {
			v, ok := option(opts, word)
			if !ok {
				return nil, notAnOption(opts, part)
			}
			add(v)
		}
	}
	return out, ""
}

// option finds the option that s numbers, is the value of, or labels.
func option(opts []bot.Option, s string) (string, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 1 && n <= len(opts) {
			return opts[n-1].Value, true
		}
		return "", false
	}
	for _, o := range opts {
		if strings.EqualFold(o.Value, s) || strings.EqualFold(o.Label, s) {
			return o.Value, true
		}
	}
	return "", false
}

// notAnOption says that s is not one of opts and what would be.
func notAnOption(opts []bot.Option, s string) string {
	if len(opts) == 0 {
		return fmt.Sprintf("%q is not an option: there are none.", s)
	}
	return fmt.Sprintf("%q is not one of the options: type a number from 1 to %d, "+
		"or a value such as %s.", s, len(opts), opts[0].Value)
}
