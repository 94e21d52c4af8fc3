package data

import "math/rand/v2"

// splitmix64 is a strong 64-bit mixing function (Steele, Lea, Flood 2014).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// DeriveSeed mixes a base seed with any number of coordinates (epoch,
// sample index, stream) into a new seed. The result depends only on its
// arguments, so per-sample randomness does not depend on which worker
// happens to process a sample or when.
func DeriveSeed(seed uint64, coords ...uint64) uint64 {
	h := splitmix64(seed)
	for _, c := range coords {
		h = splitmix64(h ^ splitmix64(c+0x632be59bd9b4e019))
	}
	return h
}

// newRand returns a generator for a derived seed.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, splitmix64(seed)))
}

// Streams separating the uses of one seed.
const (
	streamShuffle uint64 = iota + 1
	streamAugment
	streamSplit
	streamSampler
)
