package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a subprocess's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeRefusesMalformedRequests runs `graft serve` on a free port,
// sends it a good image and malformed requests, checks each status code
// and that the server keeps serving, then stops it with SIGTERM: exit 0.
func TestServeRefusesMalformedRequests(t *testing.T) {
	model := writeBase(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := graftCmd(t, ctx, "serve", "--model", model, "--addr", "127.0.0.1:0", "--max-body", "64KiB", "--max-batch", "2")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log lockedBuffer
	addr := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			log.add(line + "\n")
			if _, rest, ok := strings.Cut(line, " on http://"); ok {
				addr <- strings.Fields(rest)[0]
			}
		}
	}()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-scanned
		cmd.Wait()
		t.Fatalf("graft serve did not report its address within a minute:\n%s", log.String())
	}

	var good bytes.Buffer
	if err := png.Encode(&good, solid(90)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, method, path, contentType string
		body                            []byte
		status                          int
		says                            string
	}{
		{"good PNG", "POST", "/v1/predict?top=3", "image/png", good.Bytes(), 200, `"classes"`},
		{"garbage bytes", "POST", "/v1/predict", "image/jpeg", []byte("garbage, not an image"), 400, "unknown format"},
		{"text after a GIF signature", "POST", "/v1/predict", "image/gif", []byte("GIF89a but not really an image"), 413, "gif declares 25120x29813 pixels"},
		{"truncated PNG", "POST", "/v1/predict", "image/png", good.Bytes()[:good.Len()/2], 400, "decoding png"},
		{"oversized body", "POST", "/v1/predict", "application/octet-stream", make([]byte, 80<<10), 413, "over the limit of 65536"},
		{"image claiming 10^12 pixels", "POST", "/v1/predict", "image/png", hugePNG(t), 413, "1000000x1000000"},
		{"text body", "POST", "/v1/predict", "text/plain", []byte("cat"), 415, "unsupported Content-Type"},
		{"top 0", "POST", "/v1/predict?top=0", "image/png", good.Bytes(), 400, "top 0"},
		{"top over the 10 classes", "POST", "/v1/predict?top=11", "image/png", good.Bytes(), 400, "only 10 classes"},
		{"GET predict", "GET", "/v1/predict", "", nil, 405, "not allowed"},
		{"unknown path", "GET", "/admin", "", nil, 404, "no such endpoint"},
		{"model info", "GET", "/v1/model", "", nil, 200, `"classes":10`},
		{"ready", "GET", "/readyz", "", nil, 200, "ready"},
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for _, c := range cases {
		req, err := http.NewRequest(c.method, url+c.path, bytes.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.says) {
			t.Errorf("%s: status %d %s, want %d saying %q", c.name, resp.StatusCode, b, c.status, c.says)
		}
		if !json.Valid(b) {
			t.Errorf("%s: body is not JSON: %q", c.name, b)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-scanned // stderr closed: the process has exited
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("after SIGTERM: exit %d (%v), want 0\n%s", code, err, log.String())
	}
	out := log.String()
	for _, want := range []string{`POST "/v1/predict?top=3" 200`, `GET "/admin" 404`, "graft: stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, out)
		}
	}
}
