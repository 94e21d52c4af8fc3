// Package half converts IEEE 754 half-precision (float16) values, as the
// weight formats store them, to float32.
package half

import "math"

// ToFloat32 returns the float32 value of the float16 bit pattern h, exactly
// (every float16 is a float32): zeros, subnormals, infinities and NaNs
// (their payload kept) included.
func ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalise
		for mant&0x400 == 0 {
			mant <<= 1
			exp--
		}
		exp++
		mant &= 0x3ff
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}
