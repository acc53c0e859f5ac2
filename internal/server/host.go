package server

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/igconnect/gateway/internal/connectors"
)

// errBadHost answers a request whose Host header cannot be a host name: the
// gateway never builds a link or a definition on it.
var errBadHost = connectors.Errorf(connectors.CodeBadRequest, "the Host header must be a host name or IP address with an optional port")

// baseURL returns scheme://host for the links and definitions the gateway
// writes: GATEWAY_PUBLIC_URL when set; otherwise the Host the caller
// reached, only when it is well formed, with https when the connection is
// TLS or, from a trusted proxy only, X-Forwarded-Proto says so.
func (s *Server) baseURL(r *http.Request) (string, error) {
	if s.opts.PublicURL != "" {
		return s.opts.PublicURL, nil
	}
	if !validHost(r.Host) {
		return "", errBadHost
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if s.trustedPeer(r) {
		p, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "https":
			scheme = "https"
		case "http":
			scheme = "http"
		}
	}
	return scheme + "://" + strings.ToLower(r.Host), nil
}

// trustedPeer tells whether the request's peer is one of
// GATEWAY_TRUSTED_PROXIES.
func (s *Server) trustedPeer(r *http.Request) bool {
	if len(s.opts.TrustedProxies) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// validHost tells whether h is host[:port]: a DNS name, an IPv4 address or
// a bracketed IPv6 address, and a port from 1 to 65535.
func validHost(h string) bool {
	if h == "" || len(h) > 261 {
		return false
	}
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		ip, err := netip.ParseAddr(h[1:end])
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return false
		}
		rest := h[end+1:]
		return rest == "" || rest[0] == ':' && validPort(rest[1:])
	}
	host := h
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		if !validPort(h[i+1:]) {
			return false
		}
		host = h[:i]
	}
	return validHostname(host)
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || p[0] == '0' {
		return false
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// validHostname checks RFC 1123 labels: 1 to 63 letters, digits and
// hyphens, not starting or ending with a hyphen; 253 characters at most.
// Underscores pass too: container platforms name services with them.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
