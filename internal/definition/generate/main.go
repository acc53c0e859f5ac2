// Command generate writes the gateway's final Swagger 2.0 definition, the
// one it serves at /swagger/doc.json without a host: swag's output
// (swagger/docs.go) built by internal/definition with the Instagram
// connector's action table and pickers. After swag init:
//
//	go run ./internal/definition/generate -o swagger/swagger.json
//
// scripts/test runs both and fails when swagger/ changes.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/definition"
	"github.com/igconnect/gateway/swagger"
)

func main() {
	out := flag.String("o", "", "file to write (standard output when empty)")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run(out string) error {
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
		return err
	}
	return os.WriteFile(out, b, 0o644)
}
