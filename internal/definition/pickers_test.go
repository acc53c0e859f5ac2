package definition

import "testing"

func TestPickers(t *testing.T) {
	d := mustBuild(t)
	things := `{"operationId":"GetThings","parameters":{"OWNER_ID":"me"},"value-collection":"value","value-path":"id","value-title":"name"}`
	parts := `{"operationId":"GetParts","parameters":{"THING_ID":{"parameter":"THING_ID"}},"value-collection":"value","value-path":"id","value-title":"text"}`
	tests := []struct {
		name string
		path []string
		want string
	}{
		{"a path input", []string{"paths", "/{THING_ID}", "get", "parameters", "0"}, things},
		{"on every operation", []string{"paths", "/{THING_ID}/parts", "get", "parameters", "0"}, things},
		{"a query input", []string{"paths", "/part", "get", "parameters", "0"}, things},
		{"a linked picker where the operation has its input", []string{"paths", "/part", "get", "parameters", "1"}, parts},
		{"none where it has not", []string{"paths", "/{PART_ID}/delete", "post", "parameters", "0"}, `null`},
		{"none on other inputs", []string{"paths", "/{THING_ID}", "get", "parameters", "1"}, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonOf(at(t, d, append(tt.path, "x-ms-dynamic-values")...)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
