package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"warmstart/nn/data"
)

func TestNewServer(t *testing.T) {
	srv := NewServer(http.NotFoundHandler(), nil)
	if srv.ReadHeaderTimeout != ReadHeaderTimeout || srv.ReadTimeout != ReadTimeout ||
		srv.IdleTimeout != IdleTimeout || srv.MaxHeaderBytes != MaxHeaderBytes {
		t.Errorf("timeouts and limits not set: %+v", srv)
	}
	if srv.ReadHeaderTimeout <= 0 || srv.IdleTimeout <= 0 || srv.ReadTimeout <= 0 {
		t.Error("a header, read or idle timeout is off")
	}
	if srv.WriteTimeout != 0 {
		t.Error("WriteTimeout would cut slow dataset downloads; the handler sets deadlines per response")
	}
	if srv.ErrorLog == nil {
		t.Error("no error log")
	}
}

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr     string
		loopback bool
		bad      bool
	}{
		{DefaultAddr, true, false},
		{"127.0.0.1:0", true, false},
		{"127.9.9.9:80", true, false},
		{"localhost:8080", true, false},
		{"LOCALHOST:8080", true, false},
		{"[::1]:8080", true, false},
		{"0.0.0.0:8080", false, false},
		{":8080", false, false},
		{"[::]:8080", false, false},
		{"192.168.1.5:8080", false, false},
		{"example.com:8080", false, false},
		{"127.0.0.1:http", true, false},
		{"8080", false, true},
		{"127.0.0.1", false, true},
		{"127.0.0.1:", false, true},
		{"127.0.0.1:99999", false, true},
		{"127.0.0.1:-1", false, true},
		{"[::1:8080", false, true},
	}
	for _, tc := range tests {
		loopback, err := CheckAddr(tc.addr)
		if (err != nil) != tc.bad {
			t.Errorf("CheckAddr(%q): error %v, want error %v", tc.addr, err, tc.bad)
			continue
		}
		if loopback != tc.loopback {
			t.Errorf("CheckAddr(%q) = %v, want %v", tc.addr, loopback, tc.loopback)
		}
	}
}

func TestURL(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080/"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "http://127.0.0.1:8080/"},
		// What a listener on 0.0.0.0:80 reports on a dual-stack machine.
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 80}, "http://127.0.0.1:80/"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 9000}, "http://[::1]:9000/"},
		{&net.TCPAddr{IP: net.IPv4(192, 168, 0, 2), Port: 8080}, "http://192.168.0.2:8080/"},
	}
	for _, tc := range tests {
		if got := URL(tc.addr); got != tc.want {
			t.Errorf("URL(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// startServer runs the test site's handler in a real server with
// NewServer's settings.
func startServer(t *testing.T, s *testSite) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(s.h)
	ts.Config = NewServer(s.h, nil)
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// rawRequest sends text over a fresh connection and returns the status
// code of the answer.
func rawRequest(t *testing.T, addr, text string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, text); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if bytes.Contains(body, []byte(secret)) {
		t.Errorf("%q: the answer leaks the secret", text)
	}
	return resp.StatusCode
}

// TestRealServer sends requests over TCP exactly as written, which
// http.Client would normalise, to the handler inside NewServer's server.
func TestRealServer(t *testing.T) {
	s := newTestSite(t)
	ts := startServer(t, s)
	addr := ts.Listener.Addr().String()
	get := func(target string, extra ...string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
			strings.Join(extra, "") + "\r\n"
	}
	tests := []struct {
		name   string
		text   string
		status int
	}{
		{"good file", get("/web/worker.js"), 200},
		{"dot segments", get("/web/../secret.txt"), 400},
		{"encoded dot segments", get("/web/%2e%2e/secret.txt"), 400},
		{"encoded slash", get("/web/..%2fsecret.txt"), 400},
		{"backslash", get(`/web/..\secret.txt`), 400},
		{"symlink out", get("/web/escape.txt"), 404},
		{"absolute form", get("http://x/web/../secret.txt"), 400},
		{"URL too long", get("/web/worker.js?" + strings.Repeat("a", 3000)), 414},
		{"headers too large", get("/", "X-Big: "+strings.Repeat("b", 2*MaxHeaderBytes)+"\r\n"), 431},
		{"POST", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", 405},
		{"GET with a body", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", 413},
		{"GET with a chunked body", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 413},
	}
	for _, tc := range tests {
		if got := rawRequest(t, addr, tc.text); got != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.status)
		}
	}

	// Go's client asks for gzip and would unpack a gzip-encoded answer
	// silently; the dataset file must arrive as the stored gzip bytes.
	resp, err := ts.Client().Get(ts.URL + DataPrefix + data.TrainImagesFile)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.Uncompressed || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("dataset file sent with Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	if !bytes.Equal(body, s.data[data.TrainImagesFile]) {
		t.Error("the client did not get the stored gzip bytes")
	}
	if resp.ContentLength != int64(len(body)) {
		t.Errorf("Content-Length %d, want %d", resp.ContentLength, len(body))
	}
}

// TestSlowDownload checks that a download that takes longer than the
// server's read timeout still completes: the handler moves the deadlines
// with the size of the body.
func TestSlowDownload(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a second")
	}
	s := newTestSite(t)
	// More than the loopback socket buffers hold, so the server waits
	// for the client.
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	writeFiles(t, s.webDir, map[string][]byte{"big.bin": big})
	ts := httptest.NewUnstartedServer(s.h)
	ts.Config = NewServer(s.h, nil)
	ts.Config.ReadTimeout = 200 * time.Millisecond
	ts.Config.ReadHeaderTimeout = 200 * time.Millisecond
	ts.Start()
	defer ts.Close()

	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /web/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	buf := make([]byte, 1<<20)
	start := time.Now()
	for {
		n, err := io.ReadFull(resp.Body, buf)
		got.Write(buf[:n])
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes in %v: %v", got.Len(), time.Since(start), err)
		}
		time.Sleep(60 * time.Millisecond) // 16 pauses: about 1 s in all
	}
	if time.Since(start) < 2*ts.Config.ReadTimeout {
		t.Logf("the download took only %v", time.Since(start))
	}
	if !bytes.Equal(got.Bytes(), big) {
		t.Errorf("got %d bytes, want %d", got.Len(), len(big))
	}
}
