package zoo

import (
	_ "embed"
	"strings"
)

//go:generate /usr/bin/python3 testdata/gen_imagenet_classes.py imagenet_classes.txt

//go:embed imagenet_classes.txt
var imagenetClasses string

// ImageNetLabels returns the 1000 ImageNet-1k class names in class-index
// order (torchvision's names), as a new slice.
func ImageNetLabels() []string {
	return strings.Split(strings.TrimSuffix(imagenetClasses, "\n"), "\n")
}
