package train

import (
	"image/color"
	"math"
	"strconv"
)

// maxLabelChars is how much of a class name the heat map prints.
const maxLabelChars = 18

// heatColor maps a fraction in [0, 1] to a white-to-dark-blue colour.
func heatColor(f float64) color.RGBA {
	f = math.Max(0, math.Min(1, f))
	lerp := func(a, b float64) uint8 { return uint8(math.Round(a + (b-a)*f)) }
	return color.RGBA{lerp(247, 8), lerp(251, 48), lerp(255, 107), 255}
}

// confusionImage draws a confusion matrix as a heat map: rows are true
// classes, columns predicted ones, each cell shaded by its share of the
// row (the recall of the diagonal) and labelled with its count when the
// cell is wide enough.
func confusionImage(cm *Confusion) *canvas {
	n := len(cm.Classes)
	s := chartScale
	th := textHeight(s)
	labels := make([]string, n)
	labelW := 0
	for i, name := range cm.Classes {
		labels[i] = fitText(name, maxLabelChars)
		labelW = max(labelW, textWidth(labels[i], s))
	}
	maxCount := 0
	for _, row := range cm.Counts {
		for _, v := range row {
			maxCount = max(maxCount, v)
		}
	}
	countW := textWidth(strconv.Itoa(maxCount), s)
	// Cells wide enough for the counts when the image stays under ~1200
	// pixels; otherwise smaller, colour-only cells.
	cell := max(th+12, countW+12)
	if n*cell > 1000 {
		cell = max(6, 1000/max(n, 1))
	}
	showCounts := cell >= countW+6 && cell >= th+4
	labelScale := s
	if cell < th+2 {
		labelScale = 1
		labelW = 0
		for _, l := range labels {
			labelW = max(labelW, textWidth(l, 1))
		}
	}
	lth := textHeight(labelScale)

	left := 10 + th + 14 + labelW + 10
	top := 16 + th + 16
	gridH := n * cell
	bottom := 12 + labelW + 14 + th + 12 // column labels, then "predicted"
	w := max(left+n*cell+24, 420)
	h := top + gridH + bottom
	c := newCanvas(w, h)
	c.textCentered(w/2, 16, "Confusion matrix ("+strconv.Itoa(cm.Total())+" images)", s, colInk)
	c.textCentered(left+n*cell/2, h-12-th, "predicted", s, colInk)
	c.textUp(10, top+gridH/2+textWidth("true", s)/2, "true", s, colInk)

	for i, row := range cm.Counts {
		total := 0
		for _, v := range row {
			total += v
		}
		for j, v := range row {
			f := 0.0
			if total > 0 {
				f = float64(v) / float64(total)
			}
			x, y := left+j*cell, top+i*cell
			c.rect(x, y, x+cell, y+cell, heatColor(f))
			if showCounts && v > 0 {
				ink := colInk
				if f > 0.5 {
					ink = colWhite
				}
				cs := strconv.Itoa(v)
				c.text(x+(cell-textWidth(cs, s))/2, y+(cell-th)/2, cs, s, ink)
			}
		}
		c.textRight(left-10, top+i*cell+(cell-lth)/2, labels[i], labelScale, colInk)
	}
	// Thin white cell borders.
	for k := 0; k <= n && cell >= 10; k++ {
		c.rect(left+k*cell, top, left+k*cell+1, top+gridH, colWhite)
		c.rect(left, top+k*cell, left+n*cell, top+k*cell+1, colWhite)
	}
	for j := range n {
		c.textUp(left+j*cell+(cell-lth)/2, top+gridH+12+textWidth(labels[j], labelScale), labels[j], labelScale, colInk)
	}
	return c
}
