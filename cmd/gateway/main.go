// Command gateway is the Instagram connector gateway.
//
//	@title						Instagram Gateway
//	@version					1.0
//	@description				Read your Instagram professional account, its media, stories, tags and insights; publish photos, videos, reels, stories and carousels; and moderate comments. Each connection holds one account's Instagram token, and its key is all a flow needs.
//	@contact.name				igconnect
//	@contact.url				https://github.com/igconnect/gateway
//	@contact.email				igconnect@users.noreply.github.com
//	@tag.name					Instagram
//	@tag.description			Actions on the connection's Instagram professional account: its profile, media, comments, insights and publishing.
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
//	gateway connections add|list|rotate|set-token|delete [flags]
//	gateway version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/igconnect/gateway/internal/config"
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
		case "help":
			return printUsage(stdout, getenv)
		case "connections":
			if len(args) > 1 && args[1] == "help" || helpRequested(args[1:]) {
				return printConnectionsUsage(stdout, getenv)
			}
			setRedisLogger(newLogger(stderr, slog.LevelInfo))
			return connectionsCmd(ctx, args[1:], getenv, stdin, stdout, stderr)
		}
	}
	if helpRequested(args) {
		return printUsage(stdout, getenv)
	}
	return serve(ctx, args, getenv, stdout, stderr)
}

const usage = `usage:
  gateway [flags]                                             serve (embedded store in --data-dir, or Redis with --redis-url)
  gateway --sandbox [flags]                                   serve a fake Instagram and a demo connection (store: <data-dir>/sandbox)
  gateway connections add|list|rotate|set-token|delete [...]  manage connections on the configured store (gateway connections --help)
  gateway version                                             print the version
  gateway help                                                print this help

Each flag defaults to its GATEWAY_* environment variable (secrets are never shown).`

// helpRequested tells whether flags ask for help: -h or --help before any
// "--".
func helpRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--h", "-help", "--help":
			return true
		}
	}
	return false
}

// printUsage prints the subcommands, then the flags.
func printUsage(w io.Writer, getenv func(string) string) error {
	fmt.Fprintf(w, "%s\n\nflags:\n", usage)
	config.FlagSet("gateway", getenv, w).PrintDefaults()
	return nil
}

// printConnectionsUsage prints the connections subcommands, then the
// configuration flags they take.
func printConnectionsUsage(w io.Writer, getenv func(string) string) error {
	fmt.Fprintf(w, "%s\n\nconfig flags:\n", connectionsUsage)
	config.FlagSet("gateway connections", getenv, w).PrintDefaults()
	return nil
}
