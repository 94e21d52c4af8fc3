package serve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// startServer serves a handler over the test model on a free local port
// with the given options, and stops it when the test ends.
func startServer(t *testing.T, o ServerOptions) string {
	t.Helper()
	h := newHandler(t, writeModel(t), Options{Log: io.Discard})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, o) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// readUntilClosed reads what the server sends until it closes the
// connection, and fails the test if it has not within limit (a generous
// bound: the server's own timeouts are a small fraction of it).
func readUntilClosed(t *testing.T, c net.Conn, limit time.Duration) string {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(limit)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %v (read %q)", limit, b)
	}
	return string(b)
}

// A client that sends part of its headers and then nothing (slowloris)
// is disconnected after ReadHeaderTimeout; one that sends its headers and
// then trickles less body than it declared is cut off after ReadTimeout.
// Either way the server goes on answering others.
func TestSlowClientsAreDisconnected(t *testing.T) {
	addr := startServer(t, ServerOptions{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond})

	slowloris, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slowloris.Close()
	if _, err := io.WriteString(slowloris, "POST /v1/predict HTTP/1.1\r\nHost: graft\r\nContent-Type: image/png\r\n"); err != nil {
		t.Fatal(err)
	}

	slowBody, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slowBody.Close()
	if _, err := io.WriteString(slowBody, "POST /v1/predict HTTP/1.1\r\nHost: graft\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n\x89PNG"); err != nil {
		t.Fatal(err)
	}

	// Meanwhile a well-behaved client is served.
	good, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	if _, err := io.WriteString(good, "GET /healthz HTTP/1.1\r\nHost: graft\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	status, err := bufio.NewReader(good).ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
		t.Fatalf("healthz beside two slow clients: %q, %v", status, err)
	}

	if got := readUntilClosed(t, slowloris, 20*time.Second); got != "" && !strings.HasPrefix(got, "HTTP/1.1 408") {
		t.Errorf("slowloris client got %q, want the connection closed (or a 408)", got)
	}
	got := readUntilClosed(t, slowBody, 20*time.Second)
	if got != "" && !strings.HasPrefix(got, "HTTP/1.1 400") && !strings.HasPrefix(got, "HTTP/1.1 408") {
		t.Errorf("slow-body client got %q, want the connection closed or a 400/408", firstLine(got))
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return fmt.Sprintf("%.80s", s)
}
