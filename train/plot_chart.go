package train

import (
	"image/color"
	"math"
	"strconv"
)

// series is one line of a chart.
type series struct {
	name   string
	x, y   []float64
	col    color.RGBA
	width  int  // pen width in pixels (default 3)
	dash   int  // dash length in pixels; 0 draws a solid line
	points bool // mark every point
}

// vmark is a labelled vertical line across a chart (a phase boundary, a
// suggested learning rate).
type vmark struct {
	x     float64
	label string
	col   color.RGBA
}

// lineChart is an x-y chart with a linear or logarithmic x axis.
type lineChart struct {
	title, xLabel, yLabel string
	logX                  bool
	// intX keeps x ticks on whole numbers (epochs).
	intX bool
	// yMax, when positive, caps the y axis; higher points are drawn at
	// the top edge.
	yMax   float64
	series []series
	marks  []vmark
}

const chartScale = 2 // text scale: 10x14-pixel characters

// render draws the chart on a w x h canvas.
func (ch *lineChart) render(w, h int) *canvas {
	c := newCanvas(w, h)
	s := chartScale
	th := textHeight(s)
	xlo, xhi, ylo, yhi := ch.bounds()
	var xt []float64
	if ch.logX {
		xlo, xhi = math.Log10(xlo), math.Log10(xhi)
		xt = logTicks(xlo, xhi)
	} else {
		xt, xlo, xhi = niceTicks(xlo, xhi, 8, ch.intX)
	}
	yt, ylo, yhi := niceTicks(ylo, yhi, 6, false)
	ystep := 0.0
	if len(yt) > 1 {
		ystep = yt[1] - yt[0]
	}
	ylabels := make([]string, len(yt))
	labelW := 0
	for i, v := range yt {
		ylabels[i] = formatTick(v, ystep)
		labelW = max(labelW, textWidth(ylabels[i], s))
	}
	left := 10 + th + 12 + labelW + 8
	right := 24
	top := 16 + th + 18
	bottom := 8 + th + 12 + th + 14
	pw, ph := w-left-right, h-top-bottom
	px := func(x float64) float64 {
		if ch.logX {
			x = math.Log10(x)
		}
		return float64(left) + (x-xlo)/(xhi-xlo)*float64(pw)
	}
	py := func(y float64) float64 { return float64(top+ph) - (y-ylo)/(yhi-ylo)*float64(ph) }

	c.text(left, 16, ch.title, s, colInk)
	// Grid and ticks.
	xstep := 0.0
	if len(xt) > 1 {
		xstep = xt[1] - xt[0]
	}
	for _, v := range yt {
		y := int(math.Round(py(v)))
		c.rect(left, y, left+pw, y+1, colGrid)
		c.textRight(left-8, y-th/2, formatTick(v, ystep), s, colInk)
	}
	for _, v := range xt {
		x := left + int(math.Round((v-xlo)/(xhi-xlo)*float64(pw)))
		c.rect(x, top, x+1, top+ph, colGrid)
		label := formatTick(v, xstep)
		if ch.logX {
			label = formatPow10(v)
		}
		c.textCentered(x, top+ph+8, label, s, colInk)
	}
	c.rect(left, top, left+1, top+ph+1, colAxis)
	c.rect(left, top+ph, left+pw+1, top+ph+1, colAxis)
	c.textCentered(left+pw/2, h-th-8, ch.xLabel, s, colInk)
	c.textUp(10, top+ph/2+textWidth(ch.yLabel, s)/2, ch.yLabel, s, colInk)

	// Marks under the data.
	// Marks under the data, their labels on staggered rows, left of the
	// line when there is no room on its right.
	for i, m := range ch.marks {
		x := px(m.x)
		if !finite(x) || x < float64(left) || x > float64(left+pw) {
			continue
		}
		c.line(x, float64(top), x, float64(top+ph), 2, m.col, 6)
		ly := top + 6 + i*(th+6)
		if lw := textWidth(m.label, s); int(x)+6+lw > left+pw {
			c.text(int(x)-6-lw, ly, m.label, s, m.col)
		} else {
			c.text(int(x)+6, ly, m.label, s, m.col)
		}
	}
	for _, sr := range ch.series {
		wd := sr.width
		if wd == 0 {
			wd = 3
		}
		prevOK := false
		var x0, y0 float64
		for i := range sr.x {
			if !finite(sr.y[i]) || (ch.logX && !(sr.x[i] > 0)) {
				prevOK = false
				continue
			}
			x1, y1 := px(sr.x[i]), py(math.Min(math.Max(sr.y[i], ylo), yhi))
			if prevOK {
				c.line(x0, y0, x1, y1, wd, sr.col, sr.dash)
			}
			if sr.points {
				c.dot(int(math.Round(x1)), int(math.Round(y1)), wd+4, sr.col)
			}
			x0, y0, prevOK = x1, y1, true
		}
	}
	ch.legend(c, left+pw, 16)
	return c
}

// legend draws the named series in one row ending at x, its top at y: a
// line sample, then the name.
func (ch *lineChart) legend(c *canvas, x, y int) {
	const sample, gap = 30, 20
	for i := len(ch.series) - 1; i >= 0; i-- {
		sr := ch.series[i]
		if sr.name == "" {
			continue
		}
		x -= textWidth(sr.name, chartScale)
		c.text(x, y, sr.name, chartScale, colInk)
		mid := float64(y + textHeight(chartScale)/2)
		c.line(float64(x-8-sample), mid, float64(x-8), mid, 3, sr.col, sr.dash)
		x -= 8 + sample + gap
	}
}

// bounds returns the data range over every finite point.
func (ch *lineChart) bounds() (xlo, xhi, ylo, yhi float64) {
	xlo, ylo = math.Inf(1), math.Inf(1)
	xhi, yhi = math.Inf(-1), math.Inf(-1)
	for _, sr := range ch.series {
		for i, x := range sr.x {
			y := sr.y[i]
			if !finite(x) || !finite(y) || (ch.logX && !(x > 0)) {
				continue
			}
			xlo, xhi = math.Min(xlo, x), math.Max(xhi, x)
			ylo, yhi = math.Min(ylo, y), math.Max(yhi, y)
		}
	}
	if xlo > xhi { // no data
		xlo, xhi, ylo, yhi = 0, 1, 0, 1
		if ch.logX {
			xlo, xhi = 1e-3, 1
		}
	}
	if xlo == xhi {
		if ch.logX {
			xlo, xhi = xlo/10, xhi*10
		} else {
			xlo, xhi = xlo-1, xhi+1
		}
	}
	if ch.yMax > 0 && ch.yMax > ylo && ch.yMax < yhi {
		yhi = ch.yMax
	}
	if ylo == yhi {
		d := math.Max(math.Abs(ylo)*0.1, 0.1)
		ylo, yhi = ylo-d, yhi+d
	}
	return xlo, xhi, ylo, yhi
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// niceTicks returns about n round tick values (steps of 1, 2 or 5 times a
// power of ten) covering [lo, hi], and the range widened to the outer ticks.
// With integer set the step is at least 1.
func niceTicks(lo, hi float64, n int, integer bool) (ticks []float64, tlo, thi float64) {
	raw := (hi - lo) / float64(max(n-1, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if integer {
		step = math.Max(1, math.Round(step))
	}
	tlo, thi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	for i := 0; ; i++ {
		v := tlo + float64(i)*step
		if v > thi+step/2 {
			break
		}
		ticks = append(ticks, v)
	}
	return ticks, tlo, thi
}

// logTicks returns the whole powers of ten in [lo, hi] (given as log10).
func logTicks(lo, hi float64) []float64 {
	var t []float64
	for e := math.Ceil(lo - 1e-9); e <= hi+1e-9; e++ {
		t = append(t, e)
	}
	return t
}

// formatTick prints v with as many decimals as the tick step needs.
func formatTick(v, step float64) string {
	dec := 0
	if step > 0 && step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	if math.Abs(v) < step/1e6 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// formatPow10 prints 10^e compactly: 1e-5, 0.01, 0.1, 1, 10, 1e+03 ...
func formatPow10(e float64) string {
	switch {
	case e >= -2 && e <= 2:
		return strconv.FormatFloat(math.Pow(10, e), 'f', -1, 64)
	default:
		return "1e" + strconv.Itoa(int(e))
	}
}
