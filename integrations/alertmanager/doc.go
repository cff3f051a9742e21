// Package alertmanager links warroom to Prometheus Alertmanager: a
// receiver for its webhook (version 4, older senders included) that turns
// each call into a bot.Notification, a Silencer that creates silences
// through its API v2, and Encode and EncodeOld, which write webhook bodies
// for tests and benchmarks elsewhere.
//
// Alertmanager sends a group again on every repeat_interval and retries a
// call that failed, so whoever handles the notifications must take the
// same one twice without harm; the alerts' fingerprints make that easy.
package alertmanager
