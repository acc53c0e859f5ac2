package redistest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Cluster is a running Redis Cluster of masters only, on loopback: each
// node a redis-server with --cluster-enabled yes and an append-only file,
// so that a node restarted on its port (RestartNode) keeps its data and its
// place in the cluster (nodes.conf).
type Cluster struct {
	nodes []*Server
	tb    testing.TB
	// password is --requirepass's, when args set one.
	password string
}

// clusterWait bounds every wait of a cluster: its start, its creation, a
// node's restart.
const clusterWait = 30 * time.Second

// StartCluster starts masters redis-server nodes on free loopback ports,
// joins them with redis-cli --cluster create (the slots split evenly, no
// replicas), and waits until every node says cluster_state:ok. The nodes
// stop when the test ends. args are extra redis-server options for every
// node ("--requirepass", "pw" makes a cluster that needs a password). It
// fails the test when redis-server or redis-cli is not installed
// (redis-server's Debian package depends on redis-tools, which has
// redis-cli), and needs Redis 7 or later (--cluster-port).
func StartCluster(tb testing.TB, masters int, args ...string) *Cluster {
	tb.Helper()
	if masters < 3 {
		tb.Fatal("a Redis Cluster needs at least 3 masters")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Fatal("redis-server not found: install it (apt-get install -y redis-server), as .ci/run does")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		tb.Fatal("redis-cli not found: install redis-tools (apt-get install -y redis-tools; redis-server's package depends on it)")
	}
	c := &Cluster{tb: tb}
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--requirepass" {
			c.password = args[i+1]
		}
	}
	for range masters {
		addr, bus := freePort(tb), freePort(tb)
		_, busPort, _ := net.SplitHostPort(bus)
		s := &Server{Addr: addr, dir: tb.TempDir(), tb: tb, args: append([]string{
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-port", busPort, "--cluster-node-timeout", "5000",
		}, args...)}
		s.start()
		tb.Cleanup(s.Stop)
		c.nodes = append(c.nodes, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
	defer cancel()
	create := exec.CommandContext(ctx, cli, append(append([]string{"--cluster", "create"}, c.Addrs()...), "--cluster-replicas", "0", "--cluster-yes")...)
	create.Env = os.Environ()
	if c.password != "" {
		create.Env = append(create.Env, "REDISCLI_AUTH="+c.password) // not on the command line
	}
	if out, err := create.CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitOK()
	return c
}

// freePort returns a loopback address whose port was free a moment ago.
func freePort(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Addrs are the nodes' host:port, in the order they were started.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		addrs[i] = s.Addr
	}
	return addrs
}

// URL is the cluster's GATEWAY_REDIS_URL: redis+cluster://, the first node
// as the host and the others as addr= seeds.
func (c *Cluster) URL() string {
	q := url.Values{}
	for _, a := range c.Addrs()[1:] {
		q.Add("addr", a)
	}
	return "redis+cluster://" + c.nodes[0].Addr + "?" + q.Encode()
}

// Node is the i-th node's server (its Addr).
func (c *Cluster) Node(i int) *Server { return c.nodes[i] }

// StopNode kills the i-th node (its data stays on disk).
func (c *Cluster) StopNode(i int) { c.nodes[i].Stop() }

// StartNode starts the i-th node again on its port, after StopNode, and
// waits until the cluster is whole again (cluster_state:ok on every node).
func (c *Cluster) StartNode(i int) {
	c.tb.Helper()
	c.nodes[i].start()
	c.waitOK()
}

// RestartNode kills the i-th node and starts it again on its port: what
// was written survives (append-only file, fsync always), and the node
// takes back its slots from its nodes.conf.
func (c *Cluster) RestartNode(i int) {
	c.tb.Helper()
	c.StopNode(i)
	c.StartNode(i)
}

// waitOK waits, at most clusterWait, until every node knows every other
// and says cluster_state:ok.
func (c *Cluster) waitOK() {
	c.tb.Helper()
	deadline := time.Now().Add(clusterWait)
	var last string
	for time.Now().Before(deadline) {
		ok := true
		for _, s := range c.nodes {
			info, err := command(s.Addr, c.password, "CLUSTER", "INFO")
			if err != nil || !strings.Contains(info, "cluster_state:ok") ||
				!strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d\r\n", len(c.nodes))) {
				ok, last = false, fmt.Sprintf("%s: %v %s", s.Addr, err, info)
				break
			}
		}
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	var logs strings.Builder
	for _, s := range c.nodes {
		b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
		fmt.Fprintf(&logs, "--- %s\n%s", s.Addr, b)
	}
	c.tb.Fatalf("the Redis Cluster is not ok after %v: %s\n%s", clusterWait, last, logs.String())
}

// command sends one command to addr (after AUTH password, when set) and
// returns its answer's text: a status, an error, or a bulk string (what
// CLUSTER INFO answers).
func command(addr, password string, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	r := bufio.NewReader(conn)
	if password != "" {
		if _, err := roundTrip(conn, r, "AUTH", password); err != nil {
			return "", err
		}
	}
	return roundTrip(conn, r, args...)
}

// roundTrip sends one command on conn and reads its answer from r.
func roundTrip(conn net.Conn, r *bufio.Reader, args ...string) (string, error) {
	var req strings.Builder
	fmt.Fprintf(&req, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(req.String())); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	switch line[0] {
	case '+':
		return strings.TrimSpace(line[1:]), nil
	case '-':
		return "", fmt.Errorf("%s", strings.TrimSpace(line[1:]))
	case '$':
		var n int
		if _, err := fmt.Sscanf(line, "$%d\r\n", &n); err != nil || n < 0 {
			return "", fmt.Errorf("unexpected answer %q", line)
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		return string(b[:n]), nil
	}
	return "", fmt.Errorf("unexpected answer %q", line)
}
