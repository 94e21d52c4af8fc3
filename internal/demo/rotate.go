package demo

import (
	"fmt"

	"github.com/graft-ml/graft/data"
)

// rotated is a dataset four times as large as its base: sample 4i+k is
// base image i turned by k quarter turns clockwise, labelled
// 4·class + k. Pretraining on it asks the network to tell the rotation as
// well as the class (rotation self-supervision).
type rotated struct{ data.Dataset }

// Len returns four times the base's length.
func (r rotated) Len() int { return 4 * r.Dataset.Len() }

// Label returns 4·class + quarter turns.
func (r rotated) Label(i int) int { return 4*r.Dataset.Label(i/4) + i%4 }

// ClassNames names each class at each rotation, "Coat/90" and so on.
func (r rotated) ClassNames() []string {
	var names []string
	for _, c := range r.Dataset.ClassNames() {
		for k := 0; k < 4; k++ {
			names = append(names, fmt.Sprintf("%s/%d", c, 90*k))
		}
	}
	return names
}

// Load decodes base image i/4 and turns it by i%4 quarter turns.
func (r rotated) Load(i int, dst *data.RGB) error {
	var src data.RGB
	if err := r.Dataset.Load(i/4, &src); err != nil {
		return err
	}
	rotateQuarter(&src, i%4, dst)
	return nil
}

// rotateQuarter writes src turned clockwise by k quarter turns into dst.
func rotateQuarter(src *data.RGB, k int, dst *data.RGB) {
	w, h := src.W, src.H
	if k%2 == 1 {
		w, h = h, w
	}
	dst.W, dst.H = w, h
	if cap(dst.Pix) < 3*w*h {
		dst.Pix = make([]uint8, 3*w*h)
	}
	dst.Pix = dst.Pix[:3*w*h]
	for y := 0; y < src.H; y++ {
		for x := 0; x < src.W; x++ {
			var dx, dy int
			switch k {
			case 0:
				dx, dy = x, y
			case 1: // the top row becomes the right column
				dx, dy = src.H-1-y, x
			case 2:
				dx, dy = src.W-1-x, src.H-1-y
			case 3:
				dx, dy = y, src.W-1-x
			}
			copy(dst.Pix[3*(dy*w+dx):3*(dy*w+dx)+3], src.Pix[3*(y*src.W+x):3*(y*src.W+x)+3])
		}
	}
}
