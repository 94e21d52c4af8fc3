package modelio

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/graft-ml/graft/fetch"
	"github.com/graft-ml/graft/zoo"
)

// MirrorEnv names the environment variable that, when set to a base URL,
// makes Pull download every weight file from base + "/" + its file name
// instead of the publisher's address (for offline mirrors and tests).
const MirrorEnv = "GRAFT_WEIGHTS_MIRROR"

// PullOptions tune Pull.
type PullOptions struct {
	// Source picks the publisher, "torchvision" or "keras"; "" takes the
	// zoo's first source.
	Source string
	// File picks one weight file by name among the sources ("" for the
	// first of Source).
	File string
	// CacheDir is the cache folder; "" means fetch.DefaultCacheDir().
	CacheDir string
	// Mirror replaces the publisher's base URL; "" reads $GRAFT_WEIGHTS_MIRROR.
	Mirror string
	// Client makes the requests; nil means http.DefaultClient.
	Client *http.Client
	// Progress is told the bytes downloaded so far and the total.
	Progress fetch.Progress
}

// Pulled is the outcome of Pull.
type Pulled struct {
	Path   string
	Source zoo.WeightSource
	// Verified names the check the file passed: "sha256", "sha256 prefix",
	// "md5", or "" when the publisher gives no digest.
	Verified string
	// Cached is true when the file was already in the cache.
	Cached bool
}

// ChooseSource returns the weight source of the zoo model name that Pull
// would download with opts.
func ChooseSource(name string, opts PullOptions) (zoo.WeightSource, error) {
	spec, ok := zoo.Lookup(name)
	if !ok {
		return zoo.WeightSource{}, fmt.Errorf("modelio: unknown model %q (have %s)", name, strings.Join(zoo.Names(), ", "))
	}
	if opts.Source != "" && opts.Source != "torchvision" && opts.Source != "keras" {
		return zoo.WeightSource{}, fmt.Errorf("modelio: %s: unknown weight source %q (want torchvision or keras)", spec.Name, opts.Source)
	}
	var files []string
	for _, s := range spec.Sources {
		if opts.Source != "" && s.Format != opts.Source {
			continue
		}
		files = append(files, s.File)
		if opts.File == "" || s.File == opts.File {
			return s, nil
		}
	}
	switch {
	case opts.File != "" && len(files) > 0:
		return zoo.WeightSource{}, fmt.Errorf("modelio: %s: no weight file %q (have %s)", spec.Name, opts.File, strings.Join(files, ", "))
	case opts.Source != "":
		return zoo.WeightSource{}, fmt.Errorf("modelio: %s: no %s weights are published", spec.Name, opts.Source)
	}
	return zoo.WeightSource{}, fmt.Errorf("modelio: %s: no pretrained weights are published", spec.Name)
}

// Pull downloads the official weights of the zoo model name into the cache
// folder, resuming a partial download, and checks them against the digest
// the publisher gives (a full sha256, a sha256 prefix as in torchvision's
// file names, or md5 as Keras publishes). A file that fails the check is
// deleted. A file already in the cache is checked and reused.
func Pull(ctx context.Context, name string, opts PullOptions) (*Pulled, error) {
	src, err := ChooseSource(name, opts)
	if err != nil {
		return nil, err
	}
	return PullSource(ctx, src, opts)
}

// PullSource downloads one weight file into the cache as Pull does; opts'
// Source and File are not used.
func PullSource(ctx context.Context, src zoo.WeightSource, opts PullOptions) (*Pulled, error) {
	dir, err := CacheDir(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	res := &Pulled{Source: src, Verified: verifiedAs(src)}
	final, cached := CachedPath(dir, src)
	res.Path = final
	if cached {
		if err := verifyWeights(final, src); err != nil {
			return nil, fmt.Errorf("modelio: cached %s: %w (delete it to download again)", final, err)
		}
		res.Cached = true
		return res, nil
	}
	url := src.URL
	mirror := opts.Mirror
	if mirror == "" {
		mirror = os.Getenv(MirrorEnv)
	}
	if mirror != "" {
		url = strings.TrimRight(mirror, "/") + "/" + src.File
	}
	// Download under a temporary name (fetch resumes its .part), verify,
	// then rename: the final name only ever holds a verified file.
	tmp, err := fetch.Get(ctx, fetch.Source{URL: url, File: src.File + ".download"}, dir,
		fetch.Options{Client: opts.Client, Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	if err := verifyWeights(tmp, src); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("modelio: %s from %s: %w (the download was deleted)", src.File, url, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("modelio: %w", err)
	}
	return res, nil
}

// verifiedAs names the check a source's file gets.
func verifiedAs(src zoo.WeightSource) string {
	switch {
	case src.Hash == "":
		return ""
	case src.HashKind == "md5":
		return "md5"
	case src.HashPrefix:
		return "sha256 prefix"
	}
	return "sha256"
}

// verifyWeights checks the file at p against src's digest.
func verifyWeights(p string, src zoo.WeightSource) error {
	if src.Hash == "" {
		return nil
	}
	var h hash.Hash
	switch src.HashKind {
	case "sha256", "":
		h = sha256.New()
	case "md5":
		h = md5.New()
	default:
		return fmt.Errorf("unknown digest kind %q", src.HashKind)
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Base(p), err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	want := strings.ToLower(src.Hash)
	ok := got == want
	if src.HashPrefix {
		ok = len(want) > 0 && strings.HasPrefix(got, want)
	}
	if !ok {
		return &ChecksumError{File: src.File, Kind: verifiedAs(src), Got: got, Want: want}
	}
	return nil
}

// ChecksumError says a downloaded or cached file does not match its
// published digest.
type ChecksumError struct {
	File, Kind, Got, Want string
}

// Error describes the mismatch.
func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: %s mismatch: got %s, want %s", e.File, e.Kind, e.Got, e.Want)
}

// IsChecksumError reports whether err is, or wraps, a ChecksumError.
func IsChecksumError(err error) bool {
	var c *ChecksumError
	return errors.As(err, &c)
}
