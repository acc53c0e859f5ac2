// Command gateway is the Instagram connector gateway.
//
//	@title						Instagram (connector gateway)
//	@version					1.0
//	@description				Get your Instagram profile and media, and publish photos, videos, reels, stories and carousels, through a rate-limited connector gateway. Each connection holds one Instagram professional account's token; its API key is all a flow needs.
//	@contact.name				Connector gateway maintainers
//	@contact.url				https://github.com/igconnect/gateway
//	@BasePath					/instagram/v21.0
//	@schemes					https http
//	@x-ms-connector-metadata	[{"propertyName":"Website","propertyValue":"https://www.instagram.com"},{"propertyName":"Privacy policy","propertyValue":"https://privacycenter.instagram.com/policy"},{"propertyName":"Categories","propertyValue":"Social Media;Marketing"}]
//	@securityDefinitions.apikey	apiKey
//	@in							header
//	@name						X-API-Key
//	@description				The connection's API key (igw_…), issued by the gateway's admin.
//
//	gateway [flags]                      serve (embedded store, or Redis with --redis-url)
//	gateway --sandbox                    serve with a built-in fake Instagram and a demo connection
//	gateway connections add|list|rotate|delete [flags]
//	gateway version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Set by the linker: -X main.version=… -X main.commit=….
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// run is the whole program, apart from process globals, so that tests can
// call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "version":
			fmt.Fprintf(stdout, "gateway %s (commit %s)\n", version, commit)
			return nil
		case "connections":
			return connectionsCmd(ctx, args[1:], getenv, stdin, stdout, stderr)
		}
	}
	return serve(ctx, args, getenv, stdout, stderr)
}
