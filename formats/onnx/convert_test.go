package onnx

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

type ioFixture struct {
	InputNCHW   []int     `json:"input_nchw"`
	Input       []float64 `json:"input"`
	OutputShape []int     `json:"output_shape"`
	Output      []float64 `json:"output"`
}

// nchwToNHWC converts a flat NCHW batch to an NHWC tensor.
func nchwToNHWC(data []float64, n, c, h, w int) *tensor.Tensor {
	t := tensor.New(n, h, w, c)
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					t.Data[((b*h+y)*w+x)*c+ch] = float32(data[((b*c+ch)*h+y)*w+x])
				}
			}
		}
	}
	return t
}

func relErr(got []float32, want []float64) float64 {
	maxDiff, maxRef := 0.0, 1e-6
	for i := range want {
		maxDiff = math.Max(maxDiff, math.Abs(float64(got[i])-want[i]))
		maxRef = math.Max(maxRef, math.Abs(want[i]))
	}
	return maxDiff / maxRef
}

func TestSmallNetMatchesTorch(t *testing.T) {
	net, err := Load("testdata/smallnet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/smallnet.io.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx ioFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	d := fx.InputNCHW
	x := nchwToNHWC(fx.Input, d[0], d[1], d[2], d[3])
	outs, err := net.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	y := outs[0]
	if !tensor.EqualShapes(y.Shape, fx.OutputShape) {
		t.Fatalf("output shape %v, want %v", y.Shape, fx.OutputShape)
	}
	if e := relErr(y.Data, fx.Output); e > 1e-4 {
		t.Fatalf("relative error %.3g against torch, want < 1e-4", e)
	}
}

func TestImportedGraphTrains(t *testing.T) {
	net, err := Load("testdata/smallnet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(2, 12, 12, 3)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(i)))
	}
	outs, err := net.Graph.Forward([]*tensor.Tensor{x}, true)
	if err != nil {
		t.Fatal(err)
	}
	g := tensor.New(outs[0].Shape...)
	g.Data[0] = 1
	if _, err := net.Graph.Backward([]*tensor.Tensor{g}); err != nil {
		t.Fatal(err)
	}
	nonzero := 0
	for _, p := range net.Graph.TrainableParams() {
		if p.Grad == nil {
			continue
		}
		for _, v := range p.Grad.Data {
			if v != 0 {
				nonzero++
				break
			}
		}
	}
	if nonzero < 10 {
		t.Fatalf("only %d parameters received a gradient", nonzero)
	}
}

func TestUnsupportedOperatorIsNamed(t *testing.T) {
	m, err := Parse("testdata/smallnet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Graph.Nodes {
		if m.Graph.Nodes[i].OpType == "Gemm" {
			m.Graph.Nodes[i].OpType = "Einsum"
			m.Graph.Nodes[i].Name = "/fc/Gemm"
		}
	}
	_, err = Convert(m)
	if err == nil || !strings.Contains(err.Error(), "Einsum") || !strings.Contains(err.Error(), "/fc/Gemm") {
		t.Fatalf("err = %v, want one naming the operator and the node", err)
	}
}

func TestFlattenCHWGradient(t *testing.T) {
	f := &flattenCHW{name: "f"}
	x := tensor.New(2, 3, 2, 4)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	y, err := f.Forward([]*tensor.Tensor{x}, true)
	if err != nil {
		t.Fatal(err)
	}
	// y[n, c*H*W + h*W + w] == x[n, h, w, c]
	if y.Data[1*6+0] != x.Data[1] || y.Data[24+3*6+5] != x.Data[24+5*4+3] {
		t.Fatalf("flatten order wrong: %v", y.Data[:12])
	}
	// The transpose is linear, so its backward must be its exact adjoint:
	// <dy, J dx> == <J^T dy, dx> for random vectors.
	dy := tensor.New(y.Shape...)
	for i := range dy.Data {
		dy.Data[i] = float32(math.Cos(float64(3 * i)))
	}
	dxs, err := f.Backward(dy, true)
	if err != nil {
		t.Fatal(err)
	}
	var lhs, rhs float64
	for i := range dy.Data {
		lhs += float64(dy.Data[i]) * float64(y.Data[i])
	}
	for i := range x.Data {
		rhs += float64(dxs[0].Data[i]) * float64(x.Data[i])
	}
	if math.Abs(lhs-rhs) > 1e-9*math.Abs(lhs) {
		t.Fatalf("<dy, y> = %v, <dx, x> = %v", lhs, rhs)
	}
}
