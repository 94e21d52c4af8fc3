package main

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// httpClient makes the downloads; tests may replace it.
var httpClient = http.DefaultClient

// progressLine draws a download's progress on one terminal line:
// bytes so far, total, rate and time left, at most every 200 ms.
type progressLine struct {
	w         io.Writer
	name      string
	start     time.Time
	startDone int64 // bytes present when the download (re)started
	last      time.Time
	drawn     bool
	done      int64
	total     int64
	now       func() time.Time
}

func newProgressLine(w io.Writer, name string) *progressLine {
	return &progressLine{w: w, name: name, startDone: -1, now: time.Now}
}

// update is a fetch.Progress.
func (p *progressLine) update(done, total int64) {
	t := p.now()
	if p.startDone < 0 {
		p.startDone, p.start = done, t
	}
	p.done, p.total = done, total
	if done == total || t.Sub(p.last) >= 200*time.Millisecond {
		p.last = t
		p.draw(t)
	}
}

func (p *progressLine) draw(t time.Time) {
	elapsed := t.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done-p.startDone) / elapsed
	}
	line := fmt.Sprintf("%s  %s", p.name, humanBytes(p.done))
	if p.total > 0 {
		line += fmt.Sprintf(" / %s (%3.0f%%)", humanBytes(p.total), 100*float64(p.done)/float64(p.total))
	}
	line += fmt.Sprintf("  %s/s", humanBytes(int64(rate)))
	if p.total > 0 && rate > 0 {
		left := time.Duration(float64(p.total-p.done) / rate * float64(time.Second)).Round(time.Second)
		line += fmt.Sprintf("  %s left", left)
	}
	fmt.Fprintf(p.w, "\r%-78s", line)
	p.drawn = true
}

// finish ends the line once the download stops.
func (p *progressLine) finish() {
	if p.drawn {
		p.draw(p.now())
		fmt.Fprintln(p.w)
	}
}

// humanBytes writes a byte count in binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n), "KMGT"
	i := -1
	for v >= unit && i < len(suffix)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, suffix[i])
}
