package tflite

import (
	"github.com/graft-ml/graft/formats/internal/half"
	"math"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

func synthPlan(t *testing.T, s *synth) (*File, *Plan) {
	t.Helper()
	f, err := Parse(s.bytes(), "synth.tflite")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(f)
	if err != nil {
		t.Fatal(err)
	}
	return f, p
}

func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i])-want[i]) > tol {
			t.Fatalf("%s[%d] = %g, want %g", what, i, got[i], want[i])
		}
	}
}

func TestParseSynthConv(t *testing.T) {
	f, err := Parse(synthConv().bytes(), "conv.tflite")
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 3 || f.Description != "synthetic" || len(f.Subgraphs) != 1 {
		t.Fatalf("version %d description %q subgraphs %d", f.Version, f.Description, len(f.Subgraphs))
	}
	sg := f.Subgraphs[0]
	if len(sg.Tensors) != 4 || len(sg.Operators) != 1 {
		t.Fatalf("%d tensors, %d operators", len(sg.Tensors), len(sg.Operators))
	}
	w := sg.Tensors[1]
	if w.Name != "conv/weights" || w.Type != Uint8 || !tensor.EqualShapes(w.Shape, []int{2, 3, 3, 3}) || len(w.Data) != 54 {
		t.Fatalf("weights: %+v", w)
	}
	if w.Quant == nil || w.Quant.Scale[0] != 0.1 || w.Quant.ZeroPoint[0] != 5 || w.Quant.PerChannel() {
		t.Fatalf("weights quantisation: %+v", w.Quant)
	}
	op := sg.Operators[0]
	o, ok := op.Options.(*Conv2DOptions)
	if op.Op != OpConv2D || !ok {
		t.Fatalf("operator %s with options %T", op.Op, op.Options)
	}
	want := Conv2DOptions{Padding: PaddingSame, StrideW: 2, StrideH: 2, Activation: ActRelu6, DilationW: 1, DilationH: 1}
	if *o != want {
		t.Fatalf("options %+v, want %+v", *o, want)
	}
	b, err := sg.Tensors[2].Float32s()
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "bias", b, []float64{-0.35, 0.65}, 1e-7)
}

// TestPlanConvMatchesDirect checks the HWIO transpose, dequantisation and
// TF SAME padding against a convolution written directly on the TFLite
// [OutC, KH, KW, InC] layout.
func TestPlanConvMatchesDirect(t *testing.T) {
	f, p := synthPlan(t, synthConv())
	q := inputQuantization(f.Subgraphs[0].Tensors[p.Input])
	if !q.Quantized || q.Scale != 0.5 || q.ZeroPoint != 10 || q.Type != Uint8 {
		t.Fatalf("input quantisation %+v", q)
	}
	raw := make([]byte, 5*4*3)
	for i := range raw {
		raw[i] = byte(i * 7 % 23)
	}
	x, err := q.Dequantize(raw, p.InputShape)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := runPlan(p, x)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := f.Subgraphs[0].Tensors[1].Float32s()
	bias := []float64{-0.35, 0.65}
	var want []float64
	// out 3x2; SAME pads: rows 1 before, 1 after; columns 0 before, 1 after.
	for oy := 0; oy < 3; oy++ {
		for ox := 0; ox < 2; ox++ {
			for oc := 0; oc < 2; oc++ {
				s := bias[oc]
				for ky := 0; ky < 3; ky++ {
					for kx := 0; kx < 3; kx++ {
						iy, ix := oy*2-1+ky, ox*2+kx
						if iy < 0 || iy >= 5 || ix >= 4 {
							continue
						}
						for ic := 0; ic < 3; ic++ {
							s += float64(w[((oc*3+ky)*3+kx)*3+ic]) * 0.5 * float64(int(raw[(iy*4+ix)*3+ic])-10)
						}
					}
				}
				want = append(want, math.Min(math.Max(s, 0), 6))
			}
		}
	}
	closeTo(t, "conv", vals[p.Outputs[0]].Data, want, 1e-5)
}

func TestPlanDepthwisePerChannel(t *testing.T) {
	f, p := synthPlan(t, synthDepthwise())
	n := p.Nodes[0]
	if n.Kind != KindDepthwiseConv2D || n.Groups != 2 || !tensor.EqualShapes(n.Kernel.Shape, []int{3, 3, 2, 2}) || n.Bias != nil {
		t.Fatalf("node %+v", n)
	}
	x := tensor.New(1, 4, 4, 2)
	for i := range x.Data {
		x.Data[i] = float32(i%9) - 3.5
	}
	vals, err := runPlan(p, x)
	if err != nil {
		t.Fatal(err)
	}
	raw := f.Subgraphs[0].Tensors[1].Data
	scales := []float64{0.1, 0.2, 0.3, 0.4}
	var want []float64
	for oy := 0; oy < 2; oy++ {
		for ox := 0; ox < 2; ox++ {
			for oc := 0; oc < 4; oc++ {
				s := 0.0
				for ky := 0; ky < 3; ky++ {
					for kx := 0; kx < 3; kx++ {
						wq := float64(int8(raw[(ky*3+kx)*4+oc]))
						s += scales[oc] * wq * float64(x.Data[((oy+ky)*4+ox+kx)*2+oc/2])
					}
				}
				want = append(want, s)
			}
		}
	}
	closeTo(t, "depthwise", vals[p.Outputs[0]].Data, want, 1e-5)
}

func TestPlanHeadLogits(t *testing.T) {
	f, p := synthPlan(t, synthHead())
	if p.Logits < 0 || f.Subgraphs[0].Tensors[p.Logits].Name != "logits" {
		t.Fatalf("logits tensor %d, want the one named logits", p.Logits)
	}
	x := tensor.New(1, 2, 2, 3)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	vals, err := runPlan(p, x)
	if err != nil {
		t.Fatal(err)
	}
	// average pool: (0+3+6+9)/4 = 4.5, 5.5, 6.5
	a := []float64{4.5, 5.5, 6.5}
	logits := []float64{a[0] + 0.1, a[1] + 0.2, a[2] + 0.3, a[0] - a[1] + 0.5*a[2] + 0.4}
	closeTo(t, "logits", vals[p.Logits].Data, logits, 1e-5)
	var sum float64
	for _, l := range logits {
		sum += math.Exp(l)
	}
	var prob []float64
	for _, l := range logits {
		prob = append(prob, math.Exp(l)/sum)
	}
	closeTo(t, "prob", vals[p.Outputs[0]].Data, prob, 1e-6)
	if r := p.Nodes[1]; r.Kind != KindReshape || !tensor.EqualShapes(r.Shape, []int{-1, 3}) {
		t.Fatalf("reshape node %+v", r)
	}
}

func TestPlanBranches(t *testing.T) {
	f, p := synthPlan(t, synthBranches())
	var kinds []string
	for _, n := range p.Nodes {
		kinds = append(kinds, n.Kind.String())
	}
	want := "Conv2D Add Mul HardSwish Logistic Concat MaxPool2D Mean"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("nodes %s, want %s (PAD and DEQUANTIZE folded)", got, want)
	}
	if c := p.Nodes[0]; c.Pad != [4]int{1, 1, 1, 1} || c.Same || c.Inputs[0] != p.Input {
		t.Fatalf("conv after folding: pad %v same %v inputs %v", c.Pad, c.Same, c.Inputs)
	}
	if op := f.Subgraphs[0].Operators[5]; op.Op != OpHardSwish {
		t.Fatalf("operator 5 is %s, want HARD_SWISH from builtin_code", op.Op)
	}
	x := tensor.New(1, 4, 4, 2)
	for i := range x.Data {
		x.Data[i] = float32(i%5)*0.5 - 1
	}
	vals, err := runPlan(p, x)
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "mean", vals[p.Outputs[0]].Data, branchesByHand(x.Data), 1e-5)
}

// branchesByHand computes synthBranches directly in float64.
func branchesByHand(x []float32) []float64 {
	at := func(y, xx, c int) float64 {
		if y < 0 || y >= 4 || xx < 0 || xx >= 4 {
			return 0
		}
		return float64(x[(y*4+xx)*2+c])
	}
	var cat [4][4][4]float64
	for y := 0; y < 4; y++ {
		for xx := 0; xx < 4; xx++ {
			for oc := 0; oc < 2; oc++ {
				conv := 0.0
				for ky := 0; ky < 3; ky++ {
					for kx := 0; kx < 3; kx++ {
						for ic := 0; ic < 2; ic++ {
							i := ((oc*3+ky)*3+kx)*2 + ic
							conv += float64(i%7-3) * 0.25 * at(y-1+ky, xx-1+kx, ic)
						}
					}
				}
				m := math.Max(conv+at(y, xx, oc), 0) * []float64{2, -0.5}[oc]
				cat[y][xx][oc] = m * math.Min(math.Max(m+3, 0), 6) / 6
				cat[y][xx][2+oc] = 1 / (1 + math.Exp(-conv))
			}
		}
	}
	out := make([]float64, 4)
	for oy := 0; oy < 2; oy++ {
		for ox := 0; ox < 2; ox++ {
			for c := 0; c < 4; c++ {
				m := math.Inf(-1)
				for y := oy * 2; y < min(oy*2+3, 4); y++ {
					for xx := ox * 2; xx < min(ox*2+3, 4); xx++ {
						m = math.Max(m, cat[y][xx][c])
					}
				}
				out[c] += m / 4
			}
		}
	}
	return out
}

func TestHalfToFloat(t *testing.T) {
	for h, want := range map[uint16]float32{0x3c00: 1, 0xc000: -2, 0x3555: 0.333251953125, 0x0001: 5.960464477539063e-08, 0x7bff: 65504, 0x8000: float32(math.Copysign(0, -1))} {
		if got := half.ToFloat32(h); got != want || math.Signbit(float64(got)) != math.Signbit(float64(want)) {
			t.Errorf("half.ToFloat32(%#04x) = %g, want %g", h, got, want)
		}
	}
	if !math.IsInf(float64(half.ToFloat32(0x7c00)), 1) || !math.IsNaN(float64(half.ToFloat32(0x7e00))) {
		t.Error("halfToFloat: infinity or NaN mishandled")
	}
}
