package normalize

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
)

// referenceEnvelope is how WritePaged wrote answers before encodeDoc:
// encoding/json, without HTML escaping.
type referenceEnvelope struct {
	Data     map[string]json.RawMessage `json:"data"`
	Value    json.RawMessage            `json:"value,omitempty"`
	NextLink string                     `json:"nextLink,omitempty"`
}

func reference(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// encodeDoc writes byte for byte what encoding/json wrote, wrapped and
// not, for bodies with whitespace, escapes, HTML characters, Unicode,
// duplicate keys, nested and empty values.
func TestEncodeDocMatchesEncodingJSON(t *testing.T) {
	bodies := []string{
		`{"data":[{"id":"1","caption":"a <b> & c"}],"paging":{"cursors":{"before":"QkVG","after":"QUZU"}}}`,
		"{ \"data\" : [ { \"id\" : \"1\" , \"caption\" : \"line\\nbreak \\u2028 \\\"q\\\"\" } ] ,\n \"paging\" : { } }",
		`{"z":1,"a":{"y":[1,2,{"x":null}],"b":true},"data":{"not":"an array"}}`,
		`{"data":[],"summary":{"total_count":0}}`,
		`{"data":"text","dup":1,"dup":2}`,
		`{"\u00e9t\u00e9":"été","\u003ctag\u003e":"<>&","data":[1.5e3,-0,"😀"]}`,
		`{}`,
		`{"a\"b":1,"data":[{"k":"}]\\\"{["}],"n":-1.5e-3,"t":true,"f":false,"z":null}`,
		`{"data":[[],{},"",[{"a":[1,{"b":"]"}]}]],"paging":{"next":"x"}}`,
	}
	for _, body := range bodies {
		doc, compacted, ok := topLevel([]byte(body))
		slow, _ := object([]byte(body))
		if !ok || len(doc) != len(slow) {
			t.Fatalf("%s: topLevel %v (%d members), object %d members", body, ok, len(doc), len(slow))
		}
		items := json.RawMessage(nil)
		if raw := slow["data"]; len(raw) > 0 && raw[0] == '[' {
			items = raw
		}
		for _, next := range []string{"", "http://gw/instagram/v21.0/me/media?after=QUZU&limit=2"} {
			if got, want := encodeDoc(doc, compacted, true, next, len(body)), reference(referenceEnvelope{slow, items, next}); !bytes.Equal(got, want) {
				t.Errorf("wrapped %s:\n got %s\nwant %s", body, got, want)
			}
		}
		if got, want := encodeDoc(doc, compacted, false, "", len(body)), reference(slow); !bytes.Equal(got, want) {
			t.Errorf("unwrapped %s:\n got %s\nwant %s", body, got, want)
		}
	}
}

// What WriteData and WriteGraph copy must be one JSON object: anything
// else is UPSTREAM_ERROR and nothing is written.
func TestWritersRefuseWhatIsNotAnObject(t *testing.T) {
	for _, body := range []string{`{"id":"1","username":`, `[1,2]`, `<html>`, ``, `{"a":1}{"b":2}`, `  `} {
		for name, write := range map[string]func(http.ResponseWriter, int, []byte) error{"WriteData": WriteData, "WriteGraph": WriteGraph} {
			w := httptest.NewRecorder()
			err := write(w, 200, []byte(body))
			if connectors.ErrorCode(err) != connectors.CodeUpstreamError || w.Body.Len() != 0 {
				t.Errorf("%s(%q): %v, wrote %q", name, body, err, w.Body)
			}
		}
	}
	w := httptest.NewRecorder()
	if err := WriteData(w, 200, []byte(" {\"id\":\"1\"}\n")); err != nil || w.Body.String() != `{"data":{"id":"1"}}` {
		t.Fatalf("%v %s", err, w.Body)
	}
}
