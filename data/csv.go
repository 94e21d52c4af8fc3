package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// OpenCSV reads a manifest of "path,label" rows. A first row whose label
// field is a header name (label, class, target, category, y) is skipped.
// Relative paths are taken against the CSV file's folder. Labels are class
// names; classes are sorted by name, or numerically when every label is a
// non-negative integer. Extra columns are ignored. Files that are missing
// or not readable images are left out and listed in Skipped.
func OpenCSV(path string, opts FolderOptions) (*FileDataset, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("data: CSV manifest %s does not exist", path)
	}
	if err != nil {
		return nil, fmt.Errorf("data: CSV manifest: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	base := filepath.Dir(path)
	var files, names []string
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("data: CSV manifest %s: %w", path, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("data: CSV manifest %s line %d: want path,label, got %d field(s)", path, line, len(rec))
		}
		p, label := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if line == 1 && isLabelHeader(label) {
			continue
		}
		if p == "" || label == "" {
			return nil, fmt.Errorf("data: CSV manifest %s line %d: empty path or label", path, line)
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		files = append(files, p)
		names = append(names, label)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("data: CSV manifest %s lists no images", path)
	}
	classes := sortedClasses(names)
	if len(classes) < 2 {
		return nil, fmt.Errorf("data: CSV manifest %s has a single class %q; need at least two", path, classes[0])
	}
	index := make(map[string]int, len(classes))
	for i, c := range classes {
		index[c] = i
	}
	labels := make([]int, len(names))
	for i, n := range names {
		labels[i] = index[n]
	}
	d := &FileDataset{Source: path, Classes: classes, decode: opts.Decode}
	if err := d.keepVerified(files, labels, opts); err != nil {
		return nil, fmt.Errorf("data: CSV manifest %s: %w", path, err)
	}
	return d, nil
}

func isLabelHeader(s string) bool {
	switch strings.ToLower(s) {
	case "label", "labels", "class", "class_name", "classname", "target", "category", "y":
		return true
	}
	return false
}

// sortedClasses returns the distinct names, numerically sorted when all
// are non-negative integers and by string otherwise.
func sortedClasses(names []string) []string {
	seen := map[string]bool{}
	var out []string
	numeric := true
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
			if v, err := strconv.Atoi(n); err != nil || v < 0 {
				numeric = false
			}
		}
	}
	if numeric {
		sort.Slice(out, func(i, j int) bool {
			a, _ := strconv.Atoi(out[i])
			b, _ := strconv.Atoi(out[j])
			return a < b
		})
	} else {
		sort.Strings(out)
	}
	return out
}
