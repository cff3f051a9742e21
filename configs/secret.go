package configs

import (
	"encoding/json"
	"fmt"
)

// redacted is what a set Secret prints as.
const redacted = "[redacted]"

// Secret is a token or key. However it is printed, logged or encoded it
// shows "[redacted]", or "" when it is not set; Value returns the secret
// itself, for the one call that needs it.
type Secret string

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

// String returns "[redacted]", or "" when s is not set.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString is String, for the %#v verb.
func (s Secret) GoString() string { return s.String() }

// Format prints String for every verb and flag, so that no verb (%d, %x,
// %q) reaches the secret.
func (s Secret) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte(s.String()))
}

// MarshalText encodes String.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON encodes String as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML encodes String.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }
