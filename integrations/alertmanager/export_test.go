package alertmanager

import "time"

// ParseAt is Parse with the time that an older sender's endsAt is
// compared against.
var ParseAt = parseAt

// SetNow sets the clock a Silencer starts silences by and reads
// Retry-After dates against.
func SetNow(s *Silencer, now func() time.Time) { s.now = now }
