package modelio

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/graft-ml/graft/zoo"
)

// DefaultLabels returns the ImageNet class names for a classifier with n
// outputs: the 1000 ImageNet-1k classes, or for 1001 outputs "background"
// followed by them (TensorFlow's and Coral's convention). Other sizes get nil.
func DefaultLabels(n int) []string {
	switch n {
	case 1000:
		return zoo.ImageNetLabels()
	case 1001:
		return append([]string{"background"}, zoo.ImageNetLabels()...)
	}
	return nil
}

// ReadLabels reads a labels file: one class name per line, in output order;
// trailing blank lines are dropped.
func ReadLabels(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modelio: labels: %w", err)
	}
	defer f.Close()
	var labels []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		labels = append(labels, strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff")))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("modelio: labels %s: %w", path, err)
	}
	for len(labels) > 0 && labels[len(labels)-1] == "" {
		labels = labels[:len(labels)-1]
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("modelio: labels %s: the file holds no labels", path)
	}
	return labels, nil
}

// sidecarLabels gives l the labels.txt found beside the model file (or in
// the model's folder), if there is one.
func sidecarLabels(l *Loaded, modelPath string) error {
	dir := filepath.Dir(modelPath)
	if st, err := os.Stat(modelPath); err == nil && st.IsDir() {
		dir = modelPath
	}
	p := filepath.Join(dir, "labels.txt")
	if _, err := os.Stat(p); err != nil {
		return nil
	}
	labels, err := ReadLabels(p)
	if err != nil {
		return err
	}
	l.Labels, l.LabelsFrom = labels, p
	return nil
}

// LabelName is the name of class k: labels[k], or "class k" when there is
// no such label or it is blank.
func LabelName(labels []string, k int) string {
	if k >= 0 && k < len(labels) && strings.TrimSpace(labels[k]) != "" {
		return labels[k]
	}
	return fmt.Sprintf("class %d", k)
}
