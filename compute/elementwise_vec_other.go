//go:build !amd64 || purego

package compute

// vecAVX2 is false: this build has no assembly.
var vecAVX2 = false

func mulAddAVX2(dst, a, b *float32, n int) { panic("compute: no assembly in this build") }

func addToAVX2(dst, src *float32, n int) { panic("compute: no assembly in this build") }
