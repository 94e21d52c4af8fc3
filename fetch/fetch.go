// Package fetch downloads model weights into a local cache folder, verifying
// their sha256 and resuming interrupted downloads with HTTP range requests.
// A file appears under its final name only once it is complete and verified.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Source names one downloadable file and the checksum it must have.
type Source struct {
	URL    string // where to download from
	SHA256 string // lowercase hex digest the file must match; empty skips the check
	File   string // file name inside the cache folder
	Size   int64  // expected size in bytes, or 0 if unknown
}

// Progress is called as bytes arrive: done so far and the total (0 if unknown).
type Progress func(done, total int64)

// Options tune a download.
type Options struct {
	Client   *http.Client // nil means http.DefaultClient
	Progress Progress     // may be nil
	MaxBytes int64        // refuse larger downloads; 0 means 4 GiB
}

const defaultMaxBytes = 4 << 30

// DefaultCacheDir returns the folder Graft keeps downloaded weights in:
// $GRAFT_CACHE, else the user cache folder's "graft/models".
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("GRAFT_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("fetch: no cache folder: %w", err)
	}
	return filepath.Join(d, "graft", "models"), nil
}

// Get makes sure src is in dir and returns its path. A complete, verified
// file already there is reused; a partial download (dir/File.part) is
// resumed with a range request when the server supports it, and restarted
// when it does not. A checksum mismatch deletes the partial file and fails.
func Get(ctx context.Context, src Source, dir string, opt Options) (string, error) {
	if src.File == "" || strings.ContainsAny(src.File, `/\`) || src.File == "." || src.File == ".." {
		return "", fmt.Errorf("fetch %s: invalid file name %q", src.URL, src.File)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("fetch %s: %w", src.URL, err)
	}
	final := filepath.Join(dir, src.File)
	if _, err := os.Stat(final); err == nil {
		if err := verifyFile(final, src.SHA256); err != nil {
			return "", fmt.Errorf("fetch: cached %s: %w (delete it to download again)", final, err)
		}
		return final, nil
	}
	part := final + ".part"
	if err := download(ctx, src, part, opt); err != nil {
		return "", err
	}
	if err := verifyFile(part, src.SHA256); err != nil {
		os.Remove(part)
		return "", fmt.Errorf("fetch %s: %w", src.URL, err)
	}
	if err := os.Rename(part, final); err != nil {
		return "", fmt.Errorf("fetch %s: %w", src.URL, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return final, nil
}

func download(ctx context.Context, src Source, part string, opt Options) error {
	client := opt.Client
	if client == nil {
		client = http.DefaultClient
	}
	limit := opt.MaxBytes
	if limit <= 0 {
		limit = defaultMaxBytes
	}
	var have int64
	if st, err := os.Stat(part); err == nil {
		have = st.Size()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", src.URL, err)
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", src.URL, err)
	}
	defer resp.Body.Close()

	flags := os.O_CREATE | os.O_WRONLY
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		start, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != have {
			return fmt.Errorf("fetch %s: server resumed at an unexpected offset (%q)", src.URL, resp.Header.Get("Content-Range"))
		}
		if total > limit {
			return fmt.Errorf("fetch %s: %d bytes exceeds the limit of %d", src.URL, total, limit)
		}
		flags |= os.O_APPEND
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
		// The partial file is already complete (or longer than the file):
		// let the checksum decide.
		return nil
	case resp.StatusCode == http.StatusOK:
		have = 0
		flags |= os.O_TRUNC
	default:
		return fmt.Errorf("fetch %s: %s", src.URL, resp.Status)
	}
	total := src.Size
	if resp.ContentLength >= 0 {
		total = have + resp.ContentLength
	}
	if total > limit {
		return fmt.Errorf("fetch %s: %d bytes exceeds the limit of %d", src.URL, total, limit)
	}
	f, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", src.URL, err)
	}
	w := &progressWriter{w: f, done: have, total: total, fn: opt.Progress, limit: limit}
	_, copyErr := io.Copy(w, resp.Body)
	syncErr := f.Sync()
	closeErr := f.Close()
	if err := errors.Join(copyErr, syncErr, closeErr); err != nil {
		return fmt.Errorf("fetch %s: interrupted after %d bytes (run again to resume): %w", src.URL, w.done, err)
	}
	return nil
}

// parseContentRange reads "bytes START-END/TOTAL"; TOTAL may be "*" (-1).
func parseContentRange(h string) (start, total int64, err error) {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", h)
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", h)
	}
	s, _, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", h)
	}
	if start, err = strconv.ParseInt(s, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("bad Content-Range %q", h)
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("bad Content-Range %q", h)
		}
	}
	return start, total, nil
}

type progressWriter struct {
	w           io.Writer
	done, total int64
	limit       int64
	fn          Progress
}

func (p *progressWriter) Write(b []byte) (int, error) {
	if p.done+int64(len(b)) > p.limit {
		return 0, fmt.Errorf("download exceeds the limit of %d bytes", p.limit)
	}
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.fn != nil {
		p.fn(p.done, p.total)
	}
	return n, err
}

// verifyFile checks a file's sha256 against want (lowercase hex); an empty
// want accepts any file.
func verifyFile(path, want string) error {
	if want == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return checkDigest(h, want)
}

func checkDigest(h hash.Hash, want string) error {
	got := hex.EncodeToString(h.Sum(nil))
	if !strings.EqualFold(got, want) {
		return fmt.Errorf("sha256 mismatch: got %s, want %s", got, want)
	}
	return nil
}
