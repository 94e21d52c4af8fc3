package reliability

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/nn"
)

// writeDataset writes an image folder of perClass 16x16 PNGs for each of
// classes classes, each class a noisy colour of its own, and returns it.
func writeDataset(t *testing.T, classes, perClass int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "images")
	rng := rand.New(rand.NewPCG(1, 2))
	for c := 0; c < classes; c++ {
		cdir := filepath.Join(dir, fmt.Sprintf("class%d", c))
		if err := os.MkdirAll(cdir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < perClass; i++ {
			img := image.NewRGBA(image.Rect(0, 0, 16, 16))
			for y := 0; y < 16; y++ {
				for x := 0; x < 16; x++ {
					v := func(on bool) uint8 {
						base := 40
						if on {
							base = 200
						}
						return uint8(base + rng.IntN(50))
					}
					img.Set(x, y, color.RGBA{v(c%3 == 0), v(c%3 == 1), v(c%3 == 2 || c >= 3 && y < 8), 255})
				}
			}
			writePNG(t, filepath.Join(cdir, fmt.Sprintf("%03d.png", i)), img)
		}
	}
	return dir
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeBase saves a small pretrained-looking classifier (two convolution
// blocks, global pooling, a 10-class dense layer) as a Graft file and
// returns its path; graft train cuts it before the dense layer.
func writeBase(t *testing.T, width int) string {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	g := nn.NewGraph()
	must(g.Input("image"))
	c1, err := nn.NewConv2D("conv1", nn.Conv2DConfig{InChannels: 3, Filters: width, KernelH: 3, KernelW: 3, Padding: nn.PadSame(), Seed: 3})
	must(err)
	c2, err := nn.NewConv2D("conv2", nn.Conv2DConfig{InChannels: width, Filters: width, KernelH: 3, KernelW: 3, Padding: nn.PadSame(), Seed: 4})
	must(err)
	fc, err := nn.NewDense("fc", nn.DenseConfig{In: width, Out: 10, Seed: 5})
	must(err)
	must(g.Add("conv1", c1, "image"))
	must(g.Add("relu1", nn.NewReLU("relu1"), "conv1"))
	must(g.Add("conv2", c2, "relu1"))
	must(g.Add("relu2", nn.NewReLU("relu2"), "conv2"))
	must(g.Add("pool", nn.NewGlobalAvgPool("pool", false), "relu2"))
	must(g.Add("fc", fc, "pool"))
	p := filepath.Join(t.TempDir(), "base.graft")
	must(graftfile.Save(p, &graftfile.Model{Graph: g,
		Preprocess: data.Preprocess{Height: 16, Width: 16, Resize: data.ResizeSquash, Scale: data.ScaleSymmetric}}))
	return p
}

// solid is a 16x16 image of one grey level.
func solid(v uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}
