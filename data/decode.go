package data

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
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

// toRGB converts any image to 8-bit RGB, dropping alpha, with fast paths
// for the types the standard decoders return.
func toRGB(img image.Image, dst *RGB) {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	dst.Reset(w, h)
	p := dst.Pix
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			o := 3 * y * w
			for x := 0; x < w; x++ {
				yi := m.YOffset(r.Min.X+x, r.Min.Y+y)
				ci := m.COffset(r.Min.X+x, r.Min.Y+y)
				p[o], p[o+1], p[o+2] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				o += 3
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			o := 3 * y * w
			for _, v := range row {
				p[o], p[o+1], p[o+2] = v, v, v
				o += 3
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			o := 3 * y * w
			for x := 0; x < w; x++ {
				p[o], p[o+1], p[o+2] = row[4*x], row[4*x+1], row[4*x+2]
				o += 3
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			o := 3 * y * w
			for x := 0; x < w; x++ {
				r, g, b, a := row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]
				if a != 0xff && a != 0 { // un-premultiply
					r = unpremultiply(r, a)
					g = unpremultiply(g, a)
					b = unpremultiply(b, a)
				}
				p[o], p[o+1], p[o+2] = r, g, b
				o += 3
			}
		}
	case *image.Paletted:
		pal := make([][3]uint8, 256)
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			pal[i] = [3]uint8{n.R, n.G, n.B}
		}
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			o := 3 * y * w
			for _, v := range row {
				c := pal[v]
				p[o], p[o+1], p[o+2] = c[0], c[1], c[2]
				o += 3
			}
		}
	case *image.CMYK:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			o := 3 * y * w
			for x := 0; x < w; x++ {
				p[o], p[o+1], p[o+2] = color.CMYKToRGB(row[4*x], row[4*x+1], row[4*x+2], row[4*x+3])
				o += 3
			}
		}
	default:
		// RGBA (premultiplied), 16-bit and anything else: un-premultiply
		// through NRGBA64 and keep the high byte.
		o := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				c := color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
				p[o], p[o+1], p[o+2] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8)
				o += 3
			}
		}
	}
}

// unpremultiply undoes alpha premultiplication of one 8-bit channel.
func unpremultiply(v, a uint8) uint8 {
	x := (uint32(v)*0xff + uint32(a)/2) / uint32(a)
	return uint8(min(x, 0xff))
}
