// Package normalize writes every answer of the gateway: the {"data": …}
// envelope, the error envelope with the contract's code→status table, and the
// rewrite of upstream paging links to the gateway's own URLs.
package normalize

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/igconnect/gateway/internal/connectors"
)

// Envelope is every successful answer: {"data": …}.
type Envelope struct {
	// What Instagram answered.
	Data any `json:"data" extensions:"x-ms-summary=Data"`
}

// ErrorBody is the error object inside an error envelope.
type ErrorBody struct {
	// What went wrong, for a person.
	Message string `json:"message" extensions:"x-ms-summary=Message" example:"IG_MEDIA_ID must be a numeric Instagram ID"`
	// The gateway's error code, for a program.
	Code string `json:"code" extensions:"x-ms-summary=Code" example:"BAD_REQUEST"`
	// Instagram's error, when Instagram caused it.
	Upstream *connectors.UpstreamDetail `json:"upstream,omitempty" extensions:"x-ms-summary=Instagram Error"`
}

// ErrorData holds the error object.
type ErrorData struct {
	// The error.
	Error ErrorBody `json:"error" extensions:"x-ms-summary=Error"`
}

// ErrorEnvelope is every error answer: {"data":{"error":{…}}}.
type ErrorEnvelope struct {
	// The error's envelope.
	Data ErrorData `json:"data" extensions:"x-ms-summary=Data"`
}

// statuses is the contract's code→HTTP status table, in one place.
var statuses = map[string]int{
	connectors.CodeBadRequest:           http.StatusBadRequest,
	connectors.CodeInvalidAPIToken:      http.StatusUnauthorized,
	connectors.CodeInvalidAdminToken:    http.StatusUnauthorized,
	connectors.CodeUpstreamTokenInvalid: http.StatusUnauthorized,
	connectors.CodeForbidden:            http.StatusForbidden,
	connectors.CodeNotFound:             http.StatusNotFound,
	connectors.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	connectors.CodeConflict:             http.StatusConflict,
	connectors.CodePayloadTooLarge:      http.StatusRequestEntityTooLarge,
	connectors.CodePublishFailed:        http.StatusUnprocessableEntity,
	connectors.CodeRateLimited:          http.StatusTooManyRequests,
	connectors.CodeUpstreamError:        http.StatusBadGateway,
	connectors.CodeUnavailable:          http.StatusServiceUnavailable,
	connectors.CodeUpstreamTimeout:      http.StatusGatewayTimeout,
	connectors.CodePublishTimeout:       http.StatusGatewayTimeout,
	connectors.CodeInternal:             http.StatusInternalServerError,
}

// Status returns the HTTP status of a contract code.
func Status(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorEnvelopeOf returns the envelope and status for err.
func ErrorEnvelopeOf(err error) (int, ErrorEnvelope) {
	e := connectors.AsError(err)
	msg := e.Message
	if e.Code == connectors.CodeInternal {
		msg = "Internal error"
	}
	return Status(e.Code), ErrorEnvelope{Data: ErrorData{Error: ErrorBody{Message: msg, Code: e.Code, Upstream: e.Upstream}}}
}

// WriteError writes err's envelope; a RATE_LIMITED error also gets
// Retry-After.
func WriteError(w http.ResponseWriter, err error) {
	status, env := ErrorEnvelopeOf(err)
	if e := connectors.AsError(err); e.Code == connectors.CodeRateLimited && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, status, env)
}

// WriteJSON writes v in the envelope.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, Envelope{Data: v})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"data":{"error":{"message":"Internal error","code":"INTERNAL"}}}`)
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
}

var (
	prefix = []byte(`{"data":`)
	suffix = []byte(`}`)
)

// jsonObject returns body trimmed, or UPSTREAM_ERROR when it is not one
// JSON object: what the writers below copy must be one.
func jsonObject(body []byte) ([]byte, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		return nil, connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered with a body that is not a JSON object")
	}
	return body, nil
}

// WriteGraph writes an upstream JSON body as it is (the Graph-compatible
// base path). A body that is not one JSON object is not written:
// UPSTREAM_ERROR.
func WriteGraph(w http.ResponseWriter, status int, body []byte) error {
	body, err := jsonObject(body)
	if err != nil {
		return err
	}
	writeRaw(w, status, body)
	return nil
}

// WriteData writes an upstream JSON body in the envelope without decoding
// it: {"data":<body>}. A body that is not one JSON object is not written:
// UPSTREAM_ERROR.
func WriteData(w http.ResponseWriter, status int, body []byte) error {
	body, err := jsonObject(body)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(prefix)+len(body)+len(suffix)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(prefix)
	w.Write(body)
	w.Write(suffix)
	return nil
}
