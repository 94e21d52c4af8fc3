package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graft-ml/graft/modelio"
	"github.com/graft-ml/graft/zoo"
)

func TestModelsList(t *testing.T) {
	dir := t.TempDir()
	// A file under resnet18's published name counts as cached.
	spec, ok := zoo.Lookup("resnet18")
	if !ok || len(spec.Sources) == 0 {
		t.Fatal("the zoo has no resnet18 weights")
	}
	os.WriteFile(filepath.Join(dir, spec.Sources[0].File), []byte("x"), 0o644)
	r := runGraft(t, "models", "--cache", dir)
	r.wantCode(t, 0)
	rows := map[string][]string{}
	for _, l := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 {
			rows[f[0]] = f
		}
	}
	if h := rows["NAME"]; len(h) != 6 || h[5] != "CACHED" {
		t.Fatalf("header %v", h)
	}
	if got := strings.Join(rows["resnet18"], " "); got != "resnet18 resnet 224x224 11.7M torchvision yes (torchvision)" {
		t.Errorf("resnet18 row: %q", got)
	}
	if got := strings.Join(rows["resnet50"], " "); got != "resnet50 resnet 224x224 25.6M torchvision(2), keras(2) no" {
		t.Errorf("resnet50 row: %q", got)
	}
	if len(rows) != len(zoo.Names())+2 { // + header + cache line
		t.Errorf("%d rows for %d models:\n%s", len(rows), len(zoo.Names()), r.stdout)
	}
}

// TestModelsPullChecksumMismatch serves wrong bytes under resnet18's
// published name through the mirror: the torchvision sha256 prefix check
// fails and nothing stays in the cache.
func TestModelsPullChecksumMismatch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("these are not resnet weights"))
	}))
	defer srv.Close()
	t.Setenv(modelio.MirrorEnv, srv.URL)
	dir := t.TempDir()
	r := runGraft(t, "models", "pull", "resnet18", "--cache", dir)
	r.wantCode(t, 1)
	wantAll(t, "stderr", r.stderr, "graft: ", "resnet18-f37072fd.pth", "sha256 prefix mismatch", "want f37072fd")
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Errorf("the cache holds %d files after a failed check: %v", len(left), left[0].Name())
	}
}

// TestModelsPullResumes cuts the first download off halfway; the second
// run asks for the rest with a range request and verifies the whole file.
func TestModelsPullResumes(t *testing.T) {
	content := bytes.Repeat([]byte("graft weights 0123456789\n"), 4000) // 100 kB
	sum := sha256.Sum256(content)
	var mu sync.Mutex
	var requests, ranges []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		ranges = append(ranges, r.Header.Get("Range"))
		first := len(requests) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Content-Length", "100000")
			w.Write(content[:40000])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // drop the connection mid-file
		}
		http.ServeContent(w, r, "w.pth", time.Unix(0, 0), bytes.NewReader(content))
	}))
	defer srv.Close()
	src := zoo.WeightSource{Format: "torchvision", URL: srv.URL + "/files/w.pth", File: "w.pth",
		Hash: hex.EncodeToString(sum[:]), HashKind: "sha256"}
	old := chooseSource
	chooseSource = func(string, modelio.PullOptions) (zoo.WeightSource, error) { return src, nil }
	defer func() { chooseSource = old }()
	dir := t.TempDir()

	r := runGraft(t, "models", "pull", "resnet18", "--cache", dir)
	r.wantCode(t, 1)
	wantAll(t, "first stderr", r.stderr, "interrupted", "run again to resume")
	if st, err := os.Stat(filepath.Join(dir, "w.pth.download.part")); err != nil || st.Size() != 40000 {
		t.Fatalf("partial download: %v %v", st, err)
	}

	r = runGraft(t, "models", "pull", "resnet18", "--cache", dir)
	r.wantCode(t, 0)
	wantAll(t, "second stdout", r.stdout, "downloaded "+filepath.Join(dir, "w.pth"), "verified: sha256 "+src.Hash)
	wantAll(t, "progress", r.stderr, "w.pth", "97.7 KiB / 97.7 KiB (100%)", "/s", "0s left")
	if len(ranges) != 2 || ranges[1] != "bytes=40000-" {
		t.Errorf("range headers %q, want the second to resume at 40000", ranges)
	}
	got, err := os.ReadFile(filepath.Join(dir, "w.pth"))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("cached file: %d bytes, %v", len(got), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "w.pth.*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// A third pull finds the verified file and downloads nothing.
	r = runGraft(t, "models", "pull", "resnet18", "--cache", dir)
	r.wantCode(t, 0)
	wantAll(t, "third stdout", r.stdout, "already in the cache")
	if len(requests) != 2 {
		t.Errorf("%d requests, want 2", len(requests))
	}
	// The list shows nothing cached for resnet18 (its real file name is
	// not there), but the pulled file is where a zoo name would look.
	if _, ok := modelio.CachedPath(dir, src); !ok {
		t.Error("CachedPath does not find the pulled file")
	}
}
