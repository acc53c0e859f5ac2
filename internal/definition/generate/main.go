// Command generate writes the gateway's final Swagger 2.0 definition, the
// one it serves at /swagger/doc.json without a host: swag's output
// (swagger/docs.go) built by internal/definition with the Instagram
// connector's action table and pickers. With -oauth2 it also writes the
// sign-in connector package into that directory: apiDefinition.swagger.json
// (the definition with one OAuth 2.0 scheme on the gateway's /oauth2
// endpoints) and apiProperties.json (derived from -props, the API-key
// package's), on placeholder host and client ID. After swag init:
//
//	go run ./internal/definition/generate -o swagger/swagger.json -oauth2 swagger/oauth2
//
// scripts/test runs both and fails when swagger/ changes.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/definition"
	"github.com/igconnect/gateway/swagger"
)

func main() {
	out := flag.String("o", "", "file to write (standard output when empty)")
	oauth2 := flag.String("oauth2", "", "directory to write the sign-in (OAuth 2.0) connector package into (none when empty)")
	props := flag.String("props", "swagger/apiProperties.json", "the API-key package's apiProperties.json, which the sign-in package's derives from")
	flag.Parse()
	if err := run(*out, *oauth2, *props); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run(out, oauth2, props string) error {
	d, err := definition.Build([]byte(swagger.SwaggerInfo.ReadDoc()), instagram.New(nil, "", 0))
	if err != nil {
		return err
	}
	b, err := definition.Marshal(definition.Committed(d))
	if err != nil {
		return err
	}
	if out == "" {
		_, err = os.Stdout.Write(b)
	} else {
		err = os.WriteFile(out, b, 0o644)
	}
	if err != nil || oauth2 == "" {
		return err
	}
	raw, err := os.ReadFile(props)
	if err != nil {
		return err
	}
	def, p, err := definition.OAuth2Package(d, raw)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(oauth2, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(oauth2, "apiDefinition.swagger.json"), def, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(oauth2, "apiProperties.json"), p, 0o644)
}
