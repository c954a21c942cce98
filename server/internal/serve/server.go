package serve

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// DefaultAddr is where `warmstart serve` listens unless told otherwise:
// the loopback interface only.
const DefaultAddr = "127.0.0.1:8080"

// Timeouts and limits of the server. WriteTimeout is 0 on purpose: the
// handler sets each response's write deadline from its size (see
// [Handler.ServeHTTP]), so that a 26 MB dataset file over a slow link is
// not cut, while every other response gets 30 seconds.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second // no request has a body
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 16 << 10 // the app's requests carry small headers; 431 above
	ShutdownTimeout   = 10 * time.Second
)

// NewServer returns an http.Server for h with the timeouts and limits
// above; its own error log (TLS and connection errors, handler panics) goes
// to log at Warn level.
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// CheckAddr checks a listen address, host:port, and reports whether its
// host is a loopback one: 127.0.0.0/8, ::1 or "localhost". An empty host
// (":8080") listens on every interface and is not loopback.
func CheckAddr(addr string) (loopback bool, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("address %q: %w", addr, err)
	}
	if port == "" {
		return false, fmt.Errorf("address %q: missing port", addr)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return false, fmt.Errorf("address %q: bad port %q", addr, port)
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		// A host name: it may resolve to any interface.
		return false, nil
	}
	return ip.IsLoopback(), nil
}

// URL returns the address to open in a browser for a listener's address:
// http://HOST:PORT/, with 127.0.0.1 for an unspecified one. Go listens on
// both IPv4 and IPv6 for -addr 0.0.0.0:P, :P and [::]:P alike, and reports
// [::]:P for each, so IPv4's loopback is the one that works everywhere,
// also where IPv6 is off.
func URL(addr net.Addr) string {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	ip := ap.Addr().Unmap()
	if ip.IsUnspecified() {
		ip = netip.MustParseAddr("127.0.0.1")
	}
	return "http://" + netip.AddrPortFrom(ip, ap.Port()).String() + "/"
}
