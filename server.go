package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/sirupsen/logrus"
)

type ctxKey int

const requestIDKey ctxKey = iota

// requestID returns the id of the request ctx belongs to, or "".
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument wraps a handler of one endpoint with what every request gets:
// a request id (taken from X-Request-Id when the sender set one), recovery
// from panics, a log line and the latency histogram.
func instrument(endpoint string, h http.Handler, log *logrus.Entry,
	m *httpMetrics) http.Handler {

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = newRequestID()
			r.Header.Set("X-Request-Id", id)
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		sw := &statusWriter{ResponseWriter: w}

		defer func() {
			if p := recover(); p != nil {
				log.WithFields(logrus.Fields{fieldRequestID: id, fieldAction: "http.panic",
					"endpoint": endpoint, "panic": p}).Error("handler panicked")
				if sw.status == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}

			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			m.duration.WithLabelValues(endpoint, outcome(status)).Observe(elapsed.Seconds())

			entry := log.WithFields(logrus.Fields{
				fieldRequestID: id,
				fieldAction:    "http.request",
				fieldDuration:  ms(elapsed),
				"method":       r.Method,
				"endpoint":     endpoint,
				"status":       status,
			})
			if endpoint == "/healthz" || endpoint == "/metrics" || endpoint == "/readyz" {
				entry.Debug("request")
				return
			}
			entry.Info("request")
		}()

		h.ServeHTTP(sw, r)
	})
}

// onlyMethod answers 405 to any other method.
func onlyMethod(method string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.ServeHTTP(w, r)
	})
}
