package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/igconnect/gateway/internal/config"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/metrics"
	"github.com/igconnect/gateway/internal/normalize"
)

const connectionsUsage = `usage:
  gateway connections add --access-token TOKEN|- [--name NAME] [config flags]
  gateway connections list [config flags]
  gateway connections rotate ID [config flags]
  gateway connections set-token ID --access-token TOKEN|- [config flags]
  gateway connections delete ID [config flags]

They work directly on the configured store (GATEWAY_DATA_DIR, or GATEWAY_REDIS_URL).
set-token replaces a connection's Instagram token with another of the same
Instagram user, keeping its ID, API key and name. With --access-token -, the
token is read from standard input. With --sandbox they
work on the sandbox's own store and check tokens against the sandbox's fake
Instagram (try --access-token IGAAsandboxOtherToken000000000000002).`

// connectionsCmd runs `gateway connections …`, printing the admin API's
// envelopes.
func connectionsCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, connectionsUsage)
		return errors.New("connections: a subcommand is required")
	}
	sub, args := args[0], args[1:]
	fs := config.FlagSet("gateway connections "+sub, getenv, stderr)
	token := fs.String("access-token", "", "Instagram access token (add, set-token); - reads it from standard input")
	name := fs.String("name", "", "connection name (add)")
	// Positional ID first or last: gateway connections rotate ID [flags].
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	cfg, err := config.Load(fs)
	if err != nil {
		return err
	}
	if cfg.Sandbox {
		// The sandbox's own store, and its fake Instagram to check tokens.
		stop, err := startSandboxGraph(cfg)
		if err != nil {
			return err
		}
		defer stop()
	}
	d, err := wire(ctx, cfg, metrics.New(version, commit))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.checkKey(ctx); err != nil {
		return failure(stdout, sub, err)
	}
	svc := d.connections

	var out any
	switch sub {
	case "add":
		var t string
		if t, err = accessToken(*token, stdin); err != nil {
			return err
		}
		out, err = svc.Create(ctx, t, *name)
	case "list":
		out, err = svc.List(ctx)
	case "rotate", "delete", "set-token":
		if id == "" {
			return fmt.Errorf("connections %s: a connection ID is required", sub)
		}
		switch sub {
		case "rotate":
			out, err = svc.Rotate(ctx, id)
		case "set-token":
			var t string
			if t, err = accessToken(*token, stdin); err != nil {
				return err
			}
			out, err = svc.SetToken(ctx, id, t)
		default:
			err = svc.Delete(ctx, id)
			out = map[string]any{"id": id, "deleted": true}
		}
	default:
		fmt.Fprintln(stderr, connectionsUsage)
		return fmt.Errorf("connections: unknown subcommand %q", sub)
	}
	if err != nil {
		return failure(stdout, sub, err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(normalize.Envelope{Data: out})
}

// accessToken returns the --access-token flag's token: its value, or with
// -, the first line of stdin.
func accessToken(flag string, stdin io.Reader) (string, error) {
	if flag != "-" {
		return flag, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// failure prints err's envelope and returns the command's error: a wrong
// key's own line, or the subcommand and err's caller-safe message.
func failure(stdout io.Writer, sub string, err error) error {
	_, env := normalize.ErrorEnvelopeOf(err)
	b, _ := json.Marshal(env)
	fmt.Fprintln(stdout, string(b))
	if errors.Is(err, errWrongKey) {
		return err
	}
	return fmt.Errorf("connections %s: %s", sub, connectors.ErrorMessage(err))
}
