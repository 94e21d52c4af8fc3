package modelio

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft/zoo"
)

func TestPullSourceDigests(t *testing.T) {
	content := []byte(strings.Repeat("weights!", 1000))
	sha := sha256.Sum256(content)
	md := md5.Sum(content)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(content) }))
	defer srv.Close()
	shaHex, mdHex := hex.EncodeToString(sha[:]), hex.EncodeToString(md[:])
	for _, tc := range []struct {
		src      zoo.WeightSource
		verified string
		bad      bool
	}{
		{zoo.WeightSource{Hash: shaHex, HashKind: "sha256"}, "sha256", false},
		{zoo.WeightSource{Hash: strings.ToUpper(shaHex[:8]), HashKind: "sha256", HashPrefix: true}, "sha256 prefix", false},
		{zoo.WeightSource{Hash: mdHex, HashKind: "md5"}, "md5", false},
		{zoo.WeightSource{}, "", false},
		{zoo.WeightSource{Hash: "00" + shaHex[2:8], HashKind: "sha256", HashPrefix: true}, "", true},
		{zoo.WeightSource{Hash: mdHex[:31] + "x", HashKind: "md5"}, "", true},
	} {
		dir := t.TempDir()
		src := tc.src
		src.URL, src.File = srv.URL+"/w.h5", "w.h5"
		res, err := PullSource(context.Background(), src, PullOptions{CacheDir: dir})
		if tc.bad {
			if !IsChecksumError(err) {
				t.Errorf("%+v: error %v, want a checksum mismatch", tc.src, err)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("%+v: %d files left after a mismatch", tc.src, len(left))
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tc.src, err)
			continue
		}
		if res.Verified != tc.verified || res.Path != filepath.Join(dir, "w.h5") || res.Cached {
			t.Errorf("%+v: got %+v", tc.src, res)
		}
		// Corrupting the cached file makes the next pull refuse it.
		if tc.verified != "" {
			os.WriteFile(res.Path, []byte("tampered"), 0o644)
			if _, err := PullSource(context.Background(), src, PullOptions{CacheDir: dir}); !IsChecksumError(err) || !strings.Contains(err.Error(), "delete it") {
				t.Errorf("%+v: tampered cache gave %v", tc.src, err)
			}
		}
	}
}

func TestChooseSource(t *testing.T) {
	src, err := ChooseSource("resnet50", PullOptions{})
	if err != nil || src.Format != "torchvision" || src.File != "resnet50-0676ba61.pth" {
		t.Errorf("default: %+v %v", src, err)
	}
	src, err = ChooseSource("resnet50", PullOptions{Source: "keras"})
	if err != nil || src.Format != "keras" || src.HashKind != "md5" {
		t.Errorf("keras: %+v %v", src, err)
	}
	src, err = ChooseSource("resnet50", PullOptions{File: "resnet50-11ad3fa6.pth"})
	if err != nil || src.Hash != "11ad3fa6" || !src.HashPrefix {
		t.Errorf("by file: %+v %v", src, err)
	}
	if _, err := ChooseSource("resnet18", PullOptions{Source: "keras"}); err == nil || !strings.Contains(err.Error(), "no keras weights") {
		t.Errorf("resnet18 keras: %v", err)
	}
	if _, err := ChooseSource("resnet50", PullOptions{File: "nope.pth"}); err == nil || !strings.Contains(err.Error(), "resnet50-0676ba61.pth") {
		t.Errorf("unknown file: %v", err)
	}
}
