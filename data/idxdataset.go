package data

import (
	"fmt"
	"strconv"
)

// FashionMNISTClasses are Fashion-MNIST's class names, in label order.
var FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// IDXDataset is an images file and a labels file in IDX format, as MNIST
// and Fashion-MNIST ship: uint8 images [N, H, W] (grey, loaded as RGB with
// equal channels) or [N, H, W, 3], and uint8 labels [N].
type IDXDataset struct {
	Images, Labels *IDX
	classes        []string
	h, w, c        int
}

// OpenIDX reads an images and a labels IDX file (plain or gzipped) and pairs
// them. classNames may be nil, in which case classes are named "0", "1", …
// up to the largest label.
func OpenIDX(imagesPath, labelsPath string, classNames []string) (*IDXDataset, error) {
	images, err := ReadIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := ReadIDXFile(labelsPath)
	if err != nil {
		return nil, err
	}
	d, err := NewIDXDataset(images, labels, classNames)
	if err != nil {
		return nil, fmt.Errorf("data: idx pair %s, %s: %w", imagesPath, labelsPath, err)
	}
	return d, nil
}

// NewIDXDataset pairs already-read images and labels; see OpenIDX.
func NewIDXDataset(images, labels *IDX, classNames []string) (*IDXDataset, error) {
	if images.Type != IDXUint8 || labels.Type != IDXUint8 {
		return nil, fmt.Errorf("images are %v and labels %v; want uint8", images.Type, labels.Type)
	}
	d := &IDXDataset{Images: images, Labels: labels}
	switch {
	case len(images.Dims) == 3:
		d.h, d.w, d.c = images.Dims[1], images.Dims[2], 1
	case len(images.Dims) == 4 && (images.Dims[3] == 1 || images.Dims[3] == 3):
		d.h, d.w, d.c = images.Dims[1], images.Dims[2], images.Dims[3]
	default:
		return nil, fmt.Errorf("image dimensions %v; want [N H W] or [N H W 3]", images.Dims)
	}
	if d.h == 0 || d.w == 0 {
		return nil, fmt.Errorf("empty images %dx%d", d.w, d.h)
	}
	if len(labels.Dims) != 1 || labels.Dims[0] != images.Dims[0] {
		return nil, fmt.Errorf("label dimensions %v do not match %d images", labels.Dims, images.Dims[0])
	}
	if images.Dims[0] == 0 {
		return nil, fmt.Errorf("no images")
	}
	maxLabel := 0
	for _, l := range labels.Data {
		maxLabel = max(maxLabel, int(l))
	}
	if classNames == nil {
		for i := 0; i <= maxLabel; i++ {
			classNames = append(classNames, strconv.Itoa(i))
		}
	} else if maxLabel >= len(classNames) {
		return nil, fmt.Errorf("label %d but only %d class names", maxLabel, len(classNames))
	}
	d.classes = classNames
	return d, nil
}

// Len returns the number of images.
func (d *IDXDataset) Len() int { return len(d.Labels.Data) }

// Label returns image i's label.
func (d *IDXDataset) Label(i int) int { return int(d.Labels.Data[i]) }

// Load copies image i into dst, replicating grey into R, G and B.
func (d *IDXDataset) Load(i int, dst *RGB) error {
	if i < 0 || i >= d.Len() {
		return fmt.Errorf("data: idx image %d outside [0, %d)", i, d.Len())
	}
	n := d.h * d.w * d.c
	src := d.Images.Data[i*n : (i+1)*n]
	dst.Reset(d.w, d.h)
	if d.c == 3 {
		copy(dst.Pix, src)
		return nil
	}
	for k, v := range src {
		dst.Pix[3*k], dst.Pix[3*k+1], dst.Pix[3*k+2] = v, v, v
	}
	return nil
}

// ClassNames returns the class names.
func (d *IDXDataset) ClassNames() []string { return d.classes }
