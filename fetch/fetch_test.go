package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func payload(n int) ([]byte, string) {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	s := sha256.Sum256(b)
	return b, hex.EncodeToString(s[:])
}

// rangeServer serves body with range support; cutAfter > 0 makes the first
// full-body response stop after that many bytes, as a dropped connection.
func rangeServer(t *testing.T, body []byte, cutAfter int, ranges *atomic.Int32) *httptest.Server {
	t.Helper()
	var first atomic.Bool
	first.Store(true)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Range") != "" {
			ranges.Add(1)
			http.ServeContent(w, r, "w.bin", time.Time{}, bytes.NewReader(body))
			return
		}
		if cutAfter > 0 && first.CompareAndSwap(true, false) {
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Error("server cannot hijack")
				return
			}
			conn, buf, _ := hj.Hijack()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
			buf.Write(body[:cutAfter])
			buf.Flush()
			conn.Close()
			return
		}
		http.ServeContent(w, r, "w.bin", time.Time{}, bytes.NewReader(body))
	}))
}

func TestGetDownloadsAndVerifies(t *testing.T) {
	body, sum := payload(100_000)
	var ranges atomic.Int32
	srv := rangeServer(t, body, 0, &ranges)
	defer srv.Close()
	dir := t.TempDir()
	var last int64
	path, err := Get(context.Background(), Source{URL: srv.URL, SHA256: sum, File: "w.bin"}, dir,
		Options{Progress: func(done, total int64) { last = done }})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, body) || last != int64(len(body)) {
		t.Fatalf("downloaded %d bytes, progress %d, want %d", len(got), last, len(body))
	}
	// A second Get reuses the cached file without a request.
	srv.Close()
	if _, err := Get(context.Background(), Source{URL: srv.URL, SHA256: sum, File: "w.bin"}, dir, Options{}); err != nil {
		t.Fatalf("cached file not reused: %v", err)
	}
}

func TestGetResumesAfterDroppedConnection(t *testing.T) {
	body, sum := payload(200_000)
	var ranges atomic.Int32
	srv := rangeServer(t, body, 70_000, &ranges)
	defer srv.Close()
	dir := t.TempDir()
	src := Source{URL: srv.URL, SHA256: sum, File: "w.bin"}
	if _, err := Get(context.Background(), src, dir, Options{}); err == nil {
		t.Fatal("a cut download reported success")
	}
	if _, err := os.Stat(filepath.Join(dir, "w.bin")); !os.IsNotExist(err) {
		t.Fatal("a partial download appeared under the final name")
	}
	st, err := os.Stat(filepath.Join(dir, "w.bin.part"))
	if err != nil || st.Size() != 70_000 {
		t.Fatalf("partial file: %v, %v", st, err)
	}
	path, err := Get(context.Background(), src, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ranges.Load() != 1 {
		t.Fatalf("%d range requests, want 1 (resume)", ranges.Load())
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, body) {
		t.Fatal("resumed file differs from the original")
	}
}

func TestGetRejectsWrongChecksum(t *testing.T) {
	body, _ := payload(1000)
	var ranges atomic.Int32
	srv := rangeServer(t, body, 0, &ranges)
	defer srv.Close()
	dir := t.TempDir()
	_, err := Get(context.Background(), Source{URL: srv.URL, SHA256: strings.Repeat("0", 64), File: "w.bin"}, dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "sha256 mismatch") {
		t.Fatalf("err = %v, want a sha256 mismatch", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left %d files behind after a bad checksum", len(entries))
	}
}

func TestGetErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	dir := t.TempDir()
	if _, err := Get(context.Background(), Source{URL: srv.URL, File: "x"}, dir, Options{}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("404 gave %v", err)
	}
	if _, err := Get(context.Background(), Source{URL: srv.URL, File: "../x"}, dir, Options{}); err == nil {
		t.Fatal("a file name with a path was accepted")
	}
	body, _ := payload(5000)
	var ranges atomic.Int32
	big := rangeServer(t, body, 0, &ranges)
	defer big.Close()
	_, err := Get(context.Background(), Source{URL: big.URL, File: "b"}, dir, Options{MaxBytes: 1000})
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("oversized download gave %v", err)
	}
}
