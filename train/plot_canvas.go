package train

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
)

// canvas is an RGBA image with the few drawing operations the report's
// charts need: rectangles, thick (optionally dashed) lines and bitmap text.
type canvas struct {
	img *image.RGBA
}

// Colours of the charts.
var (
	colWhite = color.RGBA{255, 255, 255, 255}
	colInk   = color.RGBA{33, 37, 41, 255}
	colGrid  = color.RGBA{225, 228, 232, 255}
	colAxis  = color.RGBA{110, 117, 125, 255}
	colMuted = color.RGBA{150, 155, 160, 255}
	// series colours: blue, orange, green, red, purple (colour-blind safe
	// Tableau order).
	colSeries = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255}}
)

func newCanvas(w, h int) *canvas {
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, w, h))}
	draw.Draw(c.img, c.img.Bounds(), image.NewUniform(colWhite), image.Point{}, draw.Src)
	return c
}

// rect fills the rectangle [x0, x1) x [y0, y1).
func (c *canvas) rect(x0, y0, x1, y1 int, col color.RGBA) {
	r := image.Rect(x0, y0, x1, y1).Intersect(c.img.Bounds())
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Src)
}

// dot paints a square of side w centred on (x, y).
func (c *canvas) dot(x, y, w int, col color.RGBA) {
	h := w / 2
	c.rect(x-h, y-h, x-h+w, y-h+w, col)
}

// line draws from (x0, y0) to (x1, y1) with a square pen of width w. With
// dash > 0 it draws dash pixels, skips dash pixels, and so on.
func (c *canvas) line(x0, y0, x1, y1 float64, w int, col color.RGBA, dash int) {
	dx, dy := x1-x0, y1-y0
	n := int(math.Ceil(math.Max(math.Abs(dx), math.Abs(dy))))
	if n == 0 {
		c.dot(int(math.Round(x0)), int(math.Round(y0)), w, col)
		return
	}
	for i := 0; i <= n; i++ {
		if dash > 0 && (i/dash)%2 == 1 {
			continue
		}
		t := float64(i) / float64(n)
		c.dot(int(math.Round(x0+t*dx)), int(math.Round(y0+t*dy)), w, col)
	}
}

// text draws s with its top-left corner at (x, y).
func (c *canvas) text(x, y int, s string, scale int, col color.RGBA) {
	for _, r := range s {
		g := glyph(r)
		for row := range glyphH {
			bits := g[row]
			for px := range glyphW {
				if bits&(0x10>>px) != 0 {
					c.rect(x+px*scale, y+row*scale, x+(px+1)*scale, y+(row+1)*scale, col)
				}
			}
		}
		x += advance * scale
	}
}

// textUp draws s rotated a quarter turn anticlockwise (reading bottom to
// top), with the bottom-left corner of its first glyph at (x, y): the text
// occupies [x, x+textHeight) horizontally and ends textWidth above y.
func (c *canvas) textUp(x, y int, s string, scale int, col color.RGBA) {
	for _, r := range s {
		g := glyph(r)
		for row := range glyphH {
			bits := g[row]
			for px := range glyphW {
				if bits&(0x10>>px) != 0 {
					// Glyph pixel (px, row) maps to (row, -px).
					cx, cy := x+row*scale, y-(px+1)*scale
					c.rect(cx, cy, cx+scale, cy+scale, col)
				}
			}
		}
		y -= advance * scale
	}
}

// textCentered draws s centred horizontally on cx, its top at y.
func (c *canvas) textCentered(cx, y int, s string, scale int, col color.RGBA) {
	c.text(cx-textWidth(s, scale)/2, y, s, scale, col)
}

// textRight draws s ending at x, its top at y.
func (c *canvas) textRight(x, y int, s string, scale int, col color.RGBA) {
	c.text(x-textWidth(s, scale), y, s, scale, col)
}

// png encodes the canvas.
func (c *canvas) png() ([]byte, error) {
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, c.img); err != nil {
		return nil, fmt.Errorf("train: encoding a chart: %w", err)
	}
	return b.Bytes(), nil
}

// fitText shortens s to at most n characters, marking a cut with "~".
func fitText(s string, n int) string {
	r := []rune(s)
	switch {
	case len(r) <= n:
		return s
	case n < 2:
		return string(r[:max(n, 0)])
	}
	return string(r[:n-1]) + "~"
}
