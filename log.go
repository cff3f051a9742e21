package main

import (
	"io"
	"time"

	"github.com/sirupsen/logrus"
)

// Log field names, from the organisation's logging policy.
const (
	fieldRequestID = "requestId"
	fieldUserID    = "userId"
	fieldAction    = "action"
	fieldDuration  = "duration"
	fieldService   = "service"
)

// utcJSON writes one JSON object a line with the timestamp in UTC and
// milliseconds, whatever the machine's timezone.
type utcJSON struct{ logrus.JSONFormatter }

func (f *utcJSON) Format(e *logrus.Entry) ([]byte, error) {
	e.Time = e.Time.UTC()
	return f.JSONFormatter.Format(e)
}

// newLogger builds the logger every part of warroom logs through, with the
// service name on every line.
func newLogger(out io.Writer, level, format, service string) (*logrus.Entry, error) {
	lvl, err := logrus.ParseLevel(level)
	if err != nil {
		return nil, err
	}

	l := logrus.New()
	l.SetOutput(out)
	l.SetLevel(lvl)
	if format == "text" {
		l.SetFormatter(&logrus.TextFormatter{FullTimestamp: true,
			TimestampFormat: "2006-01-02T15:04:05.000Z07:00"})
	} else {
		l.SetFormatter(&utcJSON{logrus.JSONFormatter{
			TimestampFormat: "2006-01-02T15:04:05.000Z07:00",
			FieldMap: logrus.FieldMap{
				logrus.FieldKeyTime: "timestamp",
				logrus.FieldKeyMsg:  "message",
			},
		}})
	}
	return l.WithField(fieldService, service), nil
}

// ms is a duration in whole milliseconds, as the log policy wants it.
func ms(d time.Duration) int64 { return d.Milliseconds() }
