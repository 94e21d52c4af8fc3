package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// VerifyMode says how much of each image a dataset checks when opened.
type VerifyMode int

const (
	// VerifyHeader reads each file's header (format, dimensions, size
	// limits): cheap, and catches non-images and decompression bombs.
	VerifyHeader VerifyMode = iota
	// VerifyFull decodes every image, catching truncated or corrupt data.
	VerifyFull
	// VerifyNone trusts file extensions.
	VerifyNone
)

// ImageExtensions are the file extensions (lower case) datasets accept.
var ImageExtensions = []string{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"}

func hasImageExt(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range ImageExtensions {
		if ext == e {
			return true
		}
	}
	return false
}

// FolderOptions configures OpenImageFolder and OpenCSV.
type FolderOptions struct {
	Decode DecodeOptions
	Verify VerifyMode
}

// FileDataset is a dataset of image files with a class each, as
// OpenImageFolder and OpenCSV make it. Files that were left out because they
// are not readable images are listed in Skipped with the reason.
type FileDataset struct {
	Source  string // the folder or CSV file it was opened from
	Classes []string
	Paths   []string
	Labels  []int
	Skipped []Skipped
	decode  DecodeOptions
}

// OpenImageFolder scans a dataset laid out as root/<class>/<image>: one
// sub-folder per class (searched recursively), classes sorted by name.
// Hidden files and folders (names starting with ".") are ignored. It fails
// when root does not exist or is not a folder, has fewer than two classes,
// or a class has no usable images.
func OpenImageFolder(root string, opts FolderOptions) (*FileDataset, error) {
	st, err := os.Stat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("data: image folder %s does not exist", root)
	}
	if err != nil {
		return nil, fmt.Errorf("data: image folder: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("data: image folder %s is not a directory", root)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("data: image folder: %w", err)
	}
	d := &FileDataset{Source: root, decode: opts.Decode}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if e.IsDir() {
			d.Classes = append(d.Classes, e.Name())
		} else {
			d.Skipped = append(d.Skipped, Skipped{filepath.Join(root, e.Name()), "not inside a class folder"})
		}
	}
	sort.Strings(d.Classes)
	switch len(d.Classes) {
	case 0:
		return nil, fmt.Errorf("data: image folder %s has no class sub-folders (want one folder per class)", root)
	case 1:
		return nil, fmt.Errorf("data: image folder %s has a single class %q; need at least two", root, d.Classes[0])
	}
	var candidates []string
	var candLabels []int
	for label, class := range d.Classes {
		dir := filepath.Join(root, class)
		err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				d.Skipped = append(d.Skipped, Skipped{path, err.Error()})
				if e != nil && e.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if path != dir && strings.HasPrefix(e.Name(), ".") {
				if e.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if e.IsDir() {
				return nil
			}
			if !hasImageExt(e.Name()) {
				d.Skipped = append(d.Skipped, Skipped{path, "not an image file extension"})
				return nil
			}
			candidates = append(candidates, path)
			candLabels = append(candLabels, label)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("data: image folder %s: %w", root, err)
		}
	}
	if err := d.keepVerified(candidates, candLabels, opts); err != nil {
		return nil, fmt.Errorf("data: image folder %s: %w", root, err)
	}
	return d, nil
}

// keepVerified verifies the candidate files and keeps the usable ones,
// failing when none are left or a class has none.
func (d *FileDataset) keepVerified(candidates []string, labels []int, opts FolderOptions) error {
	ok, skipped := verifyImages(candidates, opts)
	d.Skipped = append(d.Skipped, skipped...)
	counts := make([]int, len(d.Classes))
	for k, path := range candidates {
		if ok[k] {
			d.Paths = append(d.Paths, path)
			d.Labels = append(d.Labels, labels[k])
			counts[labels[k]]++
		}
	}
	if len(d.Paths) == 0 {
		return fmt.Errorf("no readable images (%d files skipped)", len(d.Skipped))
	}
	var empty []string
	for c, n := range counts {
		if n == 0 {
			empty = append(empty, d.Classes[c])
		}
	}
	if len(empty) > 0 {
		return fmt.Errorf("class(es) %q have no readable images", empty)
	}
	return nil
}

// verifyImages checks paths in parallel as opts.Verify says, returning
// which are usable and why the others are not.
func verifyImages(paths []string, opts FolderOptions) ([]bool, []Skipped) {
	ok := make([]bool, len(paths))
	reasons := make([]string, len(paths))
	if opts.Verify == VerifyNone {
		for i := range ok {
			ok[i] = true
		}
		return ok, nil
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var img RGB
			for i := range next {
				var err error
				if opts.Verify == VerifyFull {
					err = DecodeFile(paths[i], &img, opts.Decode)
				} else {
					_, _, _, err = DecodeConfigFile(paths[i], opts.Decode)
				}
				if err != nil {
					reasons[i] = strings.TrimPrefix(strings.Replace(err.Error(), "image "+paths[i]+": ", "", 1), "data: ")
				} else {
					ok[i] = true
				}
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	var skipped []Skipped
	for i, path := range paths {
		if !ok[i] {
			skipped = append(skipped, Skipped{path, reasons[i]})
		}
	}
	return ok, skipped
}

// Len returns the number of images.
func (d *FileDataset) Len() int { return len(d.Paths) }

// Label returns the class index of image i.
func (d *FileDataset) Label(i int) int { return d.Labels[i] }

// Load decodes image i into dst.
func (d *FileDataset) Load(i int, dst *RGB) error { return DecodeFile(d.Paths[i], dst, d.decode) }

// ClassNames returns the class names, sorted.
func (d *FileDataset) ClassNames() []string { return d.Classes }
