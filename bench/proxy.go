package main

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// bareProxy is the baseline a gateway is measured against: the standard
// library's reverse proxy, with a transport pooled like the gateway's.
func bareProxy(upstream *url.URL) http.Handler {
	p := httputil.NewSingleHostReverseProxy(upstream)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	p.Transport = t
	mux := http.NewServeMux()
	mux.Handle("/", p)
	mux.HandleFunc("GET /debug/mallocs", mallocsHandler)
	return mux
}
