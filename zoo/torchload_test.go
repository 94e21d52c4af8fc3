package zoo

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// torchLike returns a state dict with torchvision's names and layouts for
// m's parameters, filled with random values.
func torchLike(t *testing.T, m *Model) map[string]*tensor.Tensor {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(shape ...int) *tensor.Tensor {
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = rng.Float32()
		}
		return x
	}
	sd := map[string]*tensor.Tensor{}
	for _, n := range m.Graph.Nodes() {
		l, _ := m.Graph.Layer(n)
		switch l := l.(type) {
		case *nn.Conv2D:
			k := l.Kernel.Value.Shape
			sd[n+".weight"] = rnd(k[3], k[2], k[0], k[1])
			if l.Bias != nil {
				sd[n+".bias"] = rnd(k[3])
			}
		case *nn.DepthwiseConv2D:
			k := l.Kernel.Value.Shape
			sd[n+".weight"] = rnd(k[2]*k[3], 1, k[0], k[1])
		case *nn.Dense:
			k := l.Kernel.Value.Shape
			sd[n+".weight"] = rnd(k[1], k[0])
			sd[n+".bias"] = rnd(k[1])
		case *nn.BatchNorm:
			c := l.Gamma.Value.Size()
			for _, s := range []string{"weight", "bias", "running_mean", "running_var"} {
				sd[n+"."+s] = rnd(c)
			}
			sd[n+".num_batches_tracked"] = tensor.New()
		}
	}
	return sd
}

func TestLoadTorchLayouts(t *testing.T) {
	m, err := Build("mobilenet_v2", Options{IncludeTop: true, Width: 0.35, InputH: 32, InputW: 32, Classes: 5})
	if err != nil {
		t.Fatal(err)
	}
	sd := torchLike(t, m)
	if err := LoadTorchStateDict(m, sd); err != nil {
		t.Fatal(err)
	}
	// Conv OIHW [o][i][y][x] -> HWIO [y][x][i][o].
	conv, _ := m.Graph.Layer("features.1.conv.1")
	k := conv.(*nn.Conv2D).Kernel.Value
	w := sd["features.1.conv.1.weight"]
	o, i := 3, 5
	if got, want := k.Data[i*k.Shape[3]+o], w.Data[o*w.Shape[1]+i]; got != want {
		t.Errorf("1x1 conv kernel[0,0,%d,%d] = %v, want weight[%d,%d] = %v", i, o, got, o, i, want)
	}
	// Depthwise [C,1,KH,KW] -> [KH,KW,C,1].
	dw, _ := m.Graph.Layer("features.1.conv.0.0")
	dk := dw.(*nn.DepthwiseConv2D).Kernel.Value
	dwt := sd["features.1.conv.0.0.weight"]
	c, y, x := 7, 2, 1
	if got, want := dk.Data[(y*3+x)*dk.Shape[2]+c], dwt.Data[(c*3+y)*3+x]; got != want {
		t.Errorf("depthwise kernel[%d,%d,%d] = %v, want weight[%d,0,%d,%d] = %v", y, x, c, got, c, y, x, want)
	}
	// Linear [out,in] -> [in,out].
	fc, _ := m.Graph.Layer("classifier.1")
	fk := fc.(*nn.Dense).Kernel.Value
	lw := sd["classifier.1.weight"]
	if got, want := fk.Data[10*5+2], lw.Data[2*lw.Shape[1]+10]; got != want {
		t.Errorf("dense kernel[10,2] = %v, want weight[2,10] = %v", got, want)
	}
	bn, _ := m.Graph.Layer("features.0.1")
	if got, want := bn.(*nn.BatchNorm).MovingVariance.Value.Data[4], sd["features.0.1.running_var"].Data[4]; got != want {
		t.Errorf("running variance %v, want %v", got, want)
	}
}

func TestLinearFromCHW(t *testing.T) {
	// out 2, C 3, H 2, W 2: torch input index c*4+y*2+x.
	const out, c, h, w = 2, 3, 2, 2
	src := make([]float32, out*c*h*w)
	for i := range src {
		src[i] = float32(i)
	}
	got := linearFromCHW(src, out, [3]int{h, w, c})
	for o := range out {
		for ch := range c {
			for y := range h {
				for x := range w {
					hwc := (y*w+x)*c + ch
					if v, want := got[hwc*out+o], src[o*c*h*w+(ch*h+y)*w+x]; v != want {
						t.Fatalf("kernel[%d,%d] = %v, want %v", hwc, o, v, want)
					}
				}
			}
		}
	}
}

func TestLoadTorchErrors(t *testing.T) {
	m, err := Build("resnet18", Options{IncludeTop: true, InputH: 32, InputW: 32})
	if err != nil {
		t.Fatal(err)
	}
	before := append([]float32(nil), m.Graph.Params()[0].Value.Data...)
	for _, c := range []struct {
		name string
		edit func(sd map[string]*tensor.Tensor)
		want []string
	}{
		{"missing", func(sd map[string]*tensor.Tensor) { delete(sd, "layer2.0.downsample.1.running_mean") },
			[]string{"missing layer2.0.downsample.1.running_mean"}},
		{"unexpected", func(sd map[string]*tensor.Tensor) { sd["layer5.0.conv1.weight"] = tensor.New(1) },
			[]string{"unexpected layer5.0.conv1.weight"}},
		{"shape", func(sd map[string]*tensor.Tensor) { sd["layer1.0.conv2.weight"] = tensor.New(64, 64, 1, 3) },
			[]string{`"layer1.0.conv2.weight"`, "[64 64 1 3]", "[64 64 3 3]"}},
		{"fc", func(sd map[string]*tensor.Tensor) { sd["fc.weight"] = tensor.New(10, 512) },
			[]string{`"fc.weight"`, "[10 512]", "[1000 512]"}},
	} {
		sd := torchLike(t, m)
		sd["conv1.weight"].Data[0] = 42
		c.edit(sd)
		err := LoadTorchStateDict(m, sd)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
	if got := m.Graph.Params()[0].Value.Data; got[0] != before[0] {
		t.Errorf("a failed load changed conv1's kernel: %v, was %v", got[0], before[0])
	}
}

func TestLoadTorchSkipsAuxLogits(t *testing.T) {
	m, err := Build("inception_v3", Options{IncludeTop: true, InputH: 75, InputW: 75})
	if err != nil {
		t.Fatal(err)
	}
	sd := torchLike(t, m)
	sd["AuxLogits.fc.weight"] = tensor.New(1000, 768)
	if err := LoadTorchStateDict(m, sd); err != nil {
		t.Fatal(err)
	}
}

func TestTranspose2D(t *testing.T) {
	const rows, cols = 70, 131 // not multiples of the tile
	w := make([]float32, rows*cols)
	for i := range w {
		w[i] = float32(i)
	}
	got := transpose2D(w, rows, cols)
	for r := range rows {
		for c := range cols {
			if got[c*rows+r] != w[r*cols+c] {
				t.Fatalf("[%d,%d] = %v, want %v", c, r, got[c*rows+r], w[r*cols+c])
			}
		}
	}
}
