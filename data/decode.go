package data

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // register GIF
	"image/jpeg"
	_ "image/png" // register PNG
	"io"
	"os"

	_ "golang.org/x/image/bmp"  // register BMP
	_ "golang.org/x/image/tiff" // register TIFF
	_ "golang.org/x/image/webp" // register WebP
)

// Default limits of DecodeOptions.
const (
	// DefaultMaxPixels is Pillow's MAX_IMAGE_PIXELS decompression-bomb threshold.
	DefaultMaxPixels = 89478485
	// DefaultMaxFileBytes bounds the size of an encoded image file.
	DefaultMaxFileBytes = 256 << 20
)

// ErrTooLarge reports an image whose header declares more pixels than the
// decoder allows: a decompression bomb, or a genuinely huge image.
var ErrTooLarge = errors.New("image too large")

// DecodeOptions bounds what Decode accepts. Zero fields take the defaults.
type DecodeOptions struct {
	MaxPixels    int   // largest width×height accepted (default DefaultMaxPixels)
	MaxFileBytes int64 // largest encoded size accepted (default DefaultMaxFileBytes)
	IgnoreEXIF   bool  // do not apply a JPEG's EXIF orientation
}

func (o DecodeOptions) maxPixels() int {
	if o.MaxPixels > 0 {
		return o.MaxPixels
	}
	return DefaultMaxPixels
}

func (o DecodeOptions) maxFileBytes() int64 {
	if o.MaxFileBytes > 0 {
		return o.MaxFileBytes
	}
	return DefaultMaxFileBytes
}

// DecodeFile decodes the image file at path into dst; see Decode. Errors
// name the file.
func DecodeFile(path string, dst *RGB, opts DecodeOptions) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	limit := opts.maxFileBytes()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return fmt.Errorf("data: reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return fmt.Errorf("data: image %s: file larger than %d bytes: %w", path, limit, ErrTooLarge)
	}
	if err := Decode(b, dst, opts); err != nil {
		return fmt.Errorf("data: image %s: %w", path, err)
	}
	return nil
}

// Decode decodes a JPEG, PNG, GIF (first frame), BMP, WebP or TIFF image
// into dst as 8-bit RGB: grey, paletted, CMYK and 16-bit images are
// converted and alpha is dropped (as Pillow's convert("RGB") does). The
// dimensions are checked against opts.MaxPixels before any pixel is
// decoded, and a JPEG's EXIF orientation is applied so dst is upright.
func Decode(b []byte, dst *RGB, opts DecodeOptions) error {
	if int64(len(b)) > opts.maxFileBytes() {
		return fmt.Errorf("encoded size %d bytes over %d: %w", len(b), opts.maxFileBytes(), ErrTooLarge)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("reading header: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return fmt.Errorf("%s declares empty size %dx%d", format, cfg.Width, cfg.Height)
	}
	if max := opts.maxPixels(); cfg.Width > max || cfg.Height > max || cfg.Width*cfg.Height > max {
		return fmt.Errorf("%s declares %dx%d pixels, more than %d: %w", format, cfg.Width, cfg.Height, max, ErrTooLarge)
	}
	var img image.Image
	if format == "jpeg" {
		img, err = jpeg.Decode(bytes.NewReader(b))
	} else {
		img, _, err = image.Decode(bytes.NewReader(b))
	}
	if err != nil {
		return fmt.Errorf("decoding %s: %w", format, err)
	}
	r := img.Bounds()
	if r.Dx() != cfg.Width || r.Dy() != cfg.Height {
		return fmt.Errorf("%s decoded to %dx%d, header said %dx%d", format, r.Dx(), r.Dy(), cfg.Width, cfg.Height)
	}
	o := 1
	if format == "jpeg" && !opts.IgnoreEXIF {
		o = jpegOrientation(b)
	}
	if o == 1 {
		toRGB(img, dst)
		return nil
	}
	var tmp RGB
	toRGB(img, &tmp)
	orient(&tmp, dst, o)
	return nil
}

// DecodeConfigFile reads only the header of the image at path and checks
// its dimensions against opts, returning its width, height and format.
func DecodeConfigFile(path string, opts DecodeOptions) (w, h int, format string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, "", fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > opts.maxFileBytes() {
		return 0, 0, "", fmt.Errorf("data: image %s: file of %d bytes over %d: %w", path, st.Size(), opts.maxFileBytes(), ErrTooLarge)
	}
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return 0, 0, "", fmt.Errorf("data: image %s: reading header: %w", path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, 0, "", fmt.Errorf("data: image %s: %s declares empty size %dx%d", path, format, cfg.Width, cfg.Height)
	}
	if max := opts.maxPixels(); cfg.Width > max || cfg.Height > max || cfg.Width*cfg.Height > max {
		return 0, 0, "", fmt.Errorf("data: image %s: %s declares %dx%d pixels, more than %d: %w", path, format, cfg.Width, cfg.Height, max, ErrTooLarge)
	}
	return cfg.Width, cfg.Height, format, nil
}
