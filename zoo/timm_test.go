package zoo

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// timmKey is one line of testdata/timm/NAME.txt, which
// testdata/timm/gen_timm_keys.py derives from timm's source.
type timmKey struct {
	key   string
	shape []int
}

func readTimmKeys(t *testing.T, name string) []timmKey {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "timm", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var keys []timmKey
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		k := timmKey{key: fields[0], shape: []int{}}
		for _, d := range fields[1:] {
			n, err := strconv.Atoi(d)
			if err != nil {
				t.Fatalf("%s: %q: %v", name, sc.Text(), err)
			}
			k.shape = append(k.shape, n)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// timmStateDict fills the listed tensors with random values.
func timmStateDict(keys []timmKey, seed uint64) map[string]*tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 7))
	sd := make(map[string]*tensor.Tensor, len(keys))
	for _, k := range keys {
		x := tensor.New(k.shape...)
		for i := range x.Data {
			x.Data[i] = rng.Float32()*2 - 1
		}
		sd[k.key] = x
	}
	return sd
}

// timmCase is a timm model and the zoo build that should take its weights.
type timmCase struct {
	timm, arch string
	width      float64
	size       int // input size (small, to build fast)
}

var timmCases = []timmCase{
	{"resnet18", "resnet18", 0, 32}, {"resnet34", "resnet34", 0, 32}, {"resnet50", "resnet50", 0, 32},
	{"resnet101", "resnet101", 0, 32}, {"resnet152", "resnet152", 0, 32},
	{"inception_v3", "inception_v3", 0, 75},
	{"vgg16", "vgg16", 0, 32}, {"vgg19", "vgg19", 0, 32},
	{"efficientnet_b0", "efficientnet_b0", 0, 32}, {"efficientnet_b1", "efficientnet_b1", 0, 32},
	{"efficientnet_b2", "efficientnet_b2", 0, 32}, {"efficientnet_b3", "efficientnet_b3", 0, 32},
	{"mobilenetv2_035", "mobilenet_v2", 0.35, 32}, {"mobilenetv2_050", "mobilenet_v2", 0.5, 32},
	{"mobilenetv2_075", "mobilenet_v2", 0.75, 32}, {"mobilenetv2_100", "mobilenet_v2", 1, 32},
	{"mobilenetv2_140", "mobilenet_v2", 1.4, 32},
	{"mobilenetv3_large_100", "mobilenet_v3_large", 1, 32}, {"mobilenetv3_small_100", "mobilenet_v3_small", 1, 32},
}

func buildTimmCase(t *testing.T, c timmCase) *Model {
	t.Helper()
	m, err := Build(c.arch, Options{IncludeTop: true, Width: c.width, InputH: c.size, InputW: c.size})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTimmKeysMapOneToOne checks, for every supported timm model, that the
// keys timm's state dict holds (num_batches_tracked aside) are exactly the
// keys the model reads, each with timm's shape, each filling a different
// Graft tensor of the same size, and that every parameter and statistic
// of the Graft model is filled.
func TestTimmKeysMapOneToOne(t *testing.T) {
	for _, c := range timmCases {
		t.Run(c.timm, func(t *testing.T) {
			if testing.Short() && strings.HasPrefix(c.timm, "vgg") {
				t.Skip("VGG holds 138M parameters; TestLoadTimmVGGValues covers it without -short")
			}
			if arch, width, ok := TimmArch(c.timm + ".some_tag"); !ok || arch != c.arch || (width != c.width && c.width != 0) {
				t.Errorf("TimmArch(%q) = %q, %v, %v", c.timm, arch, width, ok)
			}
			m := buildTimmCase(t, c)
			keys := readTimmKeys(t, c.timm)
			plan, err := timmPlan(m, m.Graph)
			if err != nil {
				t.Fatal(err)
			}
			byKey := map[string]timmEntry{}
			dsts := map[*tensor.Tensor]string{}
			for _, e := range plan {
				if _, dup := byKey[e.key]; dup {
					t.Fatalf("key %q planned twice", e.key)
				}
				byKey[e.key] = e
				if other, dup := dsts[e.dst]; dup {
					t.Fatalf("keys %q and %q fill the same Graft tensor", other, e.key)
				}
				dsts[e.dst] = e.key
				if e.dst.Size() != tensor.New(e.shape...).Size() {
					t.Errorf("%q: shape %v for a Graft tensor of shape %v", e.key, e.shape, e.dst.Shape)
				}
			}
			// timm registers its modules in the order torchvision does
			// (gen_timm_keys.py's companion check compares the two), which
			// is the order the zoo adds its nodes: the n-th timm tensor
			// must fill the n-th Graft tensor.
			order := graftTensors(m.Graph)
			n := 0
			for _, k := range keys {
				if strings.HasSuffix(k.key, ".num_batches_tracked") {
					continue
				}
				n++
				e, ok := byKey[k.key]
				if !ok {
					t.Errorf("timm key %q has no Graft tensor", k.key)
					continue
				}
				if !slices.Equal(e.shape, k.shape) {
					t.Errorf("%q: timm shape %v, Graft wants %v", k.key, k.shape, e.shape)
				}
				if n <= len(order) && e.dst != order[n-1].Value {
					t.Errorf("timm tensor %d, %q, fills %s, not %s", n, k.key, dsts2param(m.Graph, e.dst), order[n-1].Name)
				}
			}
			if n != len(plan) {
				t.Errorf("timm has %d tensors, the model reads %d", n, len(plan))
			}
			for _, p := range append(m.Graph.Params(), m.Graph.State()...) {
				if _, ok := dsts[p.Value]; !ok {
					t.Errorf("Graft tensor %s is not filled", p.Name)
				}
			}
			sd := map[string]*tensor.Tensor{}
			for _, k := range keys {
				sd[k.key] = nil
			}
			wantNaming := NamingTimm
			if m.Spec.Family == "resnet" || m.Spec.Family == "inception" {
				wantNaming = NamingTorchvision // the same names
			}
			if got, _, _ := DetectNaming(m, sd); got != wantNaming {
				t.Errorf("DetectNaming = %v, want %v", got, wantNaming)
			}
		})
	}
}

// graftTensors lists the model's tensors in node order, each layer's as
// PyTorch orders a module's: weight, bias, running mean, running variance.
func graftTensors(g *nn.Graph) []*nn.Param {
	var ps []*nn.Param
	for _, node := range g.Nodes() {
		l, _ := g.Layer(node)
		if l == nil {
			continue
		}
		ps = append(ps, l.Params()...)
		if b, ok := l.(*nn.BatchNorm); ok {
			ps = append(ps, b.State()...)
		}
	}
	return ps
}

// dsts2param names the Graft tensor t.
func dsts2param(g *nn.Graph, t *tensor.Tensor) string {
	for _, p := range append(g.Params(), g.State()...) {
		if p.Value == t {
			return p.Name
		}
	}
	return "no parameter"
}

// checkTimmValues checks that every Graft tensor holds the values of its
// timm tensor, in some order (layouts differ): small tensors sorted and
// compared, big ones by their sums of first, second and third powers.
func checkTimmValues(t *testing.T, m *Model, sd map[string]*tensor.Tensor) {
	t.Helper()
	plan, err := timmPlan(m, m.Graph)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range plan {
		src := sd[e.key].Data
		if len(src) > 1<<14 {
			g, w := powerSums(e.dst.Data), powerSums(src)
			for i := range g {
				if math.Abs(g[i]-w[i]) > 1e-9*float64(len(src)) {
					t.Fatalf("%q: the Graft tensor's power sums %v differ from timm's %v", e.key, g, w)
				}
			}
			continue
		}
		got, want := slices.Clone(e.dst.Data), slices.Clone(src)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%q: the Graft tensor does not hold its values", e.key)
		}
	}
}

func powerSums(x []float32) [3]float64 {
	var s [3]float64
	for _, v := range x {
		f := float64(v)
		s[0] += f
		s[1] += f * f
		s[2] += f * f * f
	}
	return s
}

func kernelOf(t *testing.T, m *Model, node string) *tensor.Tensor {
	t.Helper()
	l, ok := m.Graph.Layer(node)
	if !ok {
		t.Fatalf("no node %q", node)
	}
	switch l := l.(type) {
	case *nn.Conv2D:
		return l.Kernel.Value
	case *nn.DepthwiseConv2D:
		return l.Kernel.Value
	case *nn.Dense:
		return l.Kernel.Value
	}
	t.Fatalf("node %q is a %T", node, l)
	return nil
}

func TestLoadTimmEfficientNetValues(t *testing.T) {
	m := buildTimmCase(t, timmCase{"efficientnet_b0", "efficientnet_b0", 0, 32})
	sd := timmStateDict(readTimmKeys(t, "efficientnet_b0"), 1)
	if err := LoadStateDict(m, sd); err != nil {
		t.Fatal(err)
	}
	checkTimmValues(t, m, sd)
	// 1x1 expansion: timm [96,16,1,1] -> Graft [1,1,16,96].
	k, w := kernelOf(t, m, "features.2.0.block.0.0"), sd["blocks.1.0.conv_pw.weight"]
	if i, o := 5, 70; k.Data[i*96+o] != w.Data[o*16+i] {
		t.Errorf("conv_pw: kernel[0,0,%d,%d] = %v, want weight[%d,%d] = %v", i, o, k.Data[i*96+o], o, i, w.Data[o*16+i])
	}
	// Depthwise: timm [96,1,3,3] -> Graft [3,3,96,1].
	k, w = kernelOf(t, m, "features.2.0.block.1.0"), sd["blocks.1.0.conv_dw.weight"]
	if c, y, x := 50, 2, 0; k.Data[(y*3+x)*96+c] != w.Data[(c*3+y)*3+x] {
		t.Errorf("conv_dw: kernel[%d,%d,%d] = %v, want weight[%d,0,%d,%d] = %v", y, x, c, k.Data[(y*3+x)*96+c], c, y, x, w.Data[(c*3+y)*3+x])
	}
	// Squeeze-and-excite reduce: timm [4,96,1,1] -> Graft [1,1,96,4].
	k, w = kernelOf(t, m, "features.2.0.block.2.fc1"), sd["blocks.1.0.se.conv_reduce.weight"]
	if i, o := 90, 3; k.Data[i*4+o] != w.Data[o*96+i] {
		t.Errorf("se.conv_reduce: kernel[0,0,%d,%d] = %v, want %v", i, o, k.Data[i*4+o], w.Data[o*96+i])
	}
	// First stage is timm's DepthwiseSeparableConv: conv_pw is the projection.
	k, w = kernelOf(t, m, "features.1.0.block.2.0"), sd["blocks.0.0.conv_pw.weight"]
	if i, o := 31, 15; k.Data[i*16+o] != w.Data[o*32+i] {
		t.Errorf("ds conv_pw: kernel[0,0,%d,%d] = %v, want %v", i, o, k.Data[i*16+o], w.Data[o*32+i])
	}
	// Classifier: timm [1000,1280] -> Graft [1280,1000].
	k, w = kernelOf(t, m, "classifier.1"), sd["classifier.weight"]
	if i, o := 1200, 999; k.Data[i*1000+o] != w.Data[o*1280+i] {
		t.Errorf("classifier: kernel[%d,%d] = %v, want %v", i, o, k.Data[i*1000+o], w.Data[o*1280+i])
	}
	bn, _ := m.Graph.Layer("features.8.1")
	if got, want := bn.(*nn.BatchNorm).MovingVariance.Value.Data[1279], sd["bn2.running_var"].Data[1279]; got != want {
		t.Errorf("head BatchNorm running variance %v, want %v", got, want)
	}
}

func TestLoadTimmMobileNetV3(t *testing.T) {
	for _, c := range []timmCase{
		{"mobilenetv3_large_100", "mobilenet_v3_large", 1, 32},
		{"mobilenetv3_small_100", "mobilenet_v3_small", 1, 32},
	} {
		m := buildTimmCase(t, c)
		nodes := m.Graph.Nodes()
		sd := timmStateDict(readTimmKeys(t, c.timm), 2)
		if err := LoadStateDict(m, sd); err != nil {
			t.Fatal(err)
		}
		checkTimmValues(t, m, sd)
		if !slices.Equal(m.Graph.Nodes(), nodes) {
			t.Fatalf("%s: the graph's nodes changed", c.timm)
		}
		// timm's BatchNorm is PyTorch's default, not torchvision's 1e-3 / 0.01.
		for _, n := range nodes {
			if l, _ := m.Graph.Layer(n); l != nil {
				if b, ok := l.(*nn.BatchNorm); ok && (b.Epsilon() != 1e-5 || b.Momentum() != 0.1) {
					t.Fatalf("%s: %s: epsilon %v momentum %v, want timm's 1e-5, 0.1", c.timm, n, b.Epsilon(), b.Momentum())
				}
			}
		}
		// conv_head [C,960,1,1] (1x1 conv after pooling) -> dense [960,C].
		head := sd["conv_head.weight"]
		out, in := head.Shape[0], head.Shape[1]
		k := kernelOf(t, m, "classifier.0")
		if i, o := in-3, out/2; k.Data[i*out+o] != head.Data[o*in+i] {
			t.Errorf("%s: conv_head: kernel[%d,%d] = %v, want weight[%d,%d,0,0] = %v", c.timm, i, o, k.Data[i*out+o], o, i, head.Data[o*in+i])
		}
		x := tensor.New(1, 32, 32, 3)
		for i := range x.Data {
			x.Data[i] = float32(i%7) / 7
		}
		y, err := m.Graph.Forward([]*tensor.Tensor{x}, false)
		if err != nil {
			t.Fatalf("%s: forward after the BatchNorm swap: %v", c.timm, err)
		}
		if got := y[0].Shape; !slices.Equal(got, []int{1, 1000}) {
			t.Errorf("%s: output shape %v", c.timm, got)
		}
	}
}

func TestLoadTimmMobileNetV2Values(t *testing.T) {
	c := timmCase{"mobilenetv2_035", "mobilenet_v2", 0.35, 32}
	m := buildTimmCase(t, c)
	g := m.Graph
	sd := timmStateDict(readTimmKeys(t, c.timm), 3)
	if err := LoadTimmStateDict(m, sd); err != nil {
		t.Fatal(err)
	}
	if m.Graph != g {
		t.Error("the graph was replaced though its BatchNorm already matches timm's")
	}
	checkTimmValues(t, m, sd)
	// blocks.0.0 is a DepthwiseSeparableConv: conv_pw [8,16,1,1] is
	// torchvision's features.1.conv.1.
	k, w := kernelOf(t, m, "features.1.conv.1"), sd["blocks.0.0.conv_pw.weight"]
	if i, o := 13, 6; k.Data[i*8+o] != w.Data[o*16+i] {
		t.Errorf("conv_pw: kernel[0,0,%d,%d] = %v, want %v", i, o, k.Data[i*8+o], w.Data[o*16+i])
	}
	// blocks.6.0 (the 17th block) projection conv_pwl is features.17.conv.2.
	k, w = kernelOf(t, m, "features.17.conv.2"), sd["blocks.6.0.conv_pwl.weight"]
	out, in := w.Shape[0], w.Shape[1]
	if i, o := in-1, out-2; k.Data[i*out+o] != w.Data[o*in+i] {
		t.Errorf("conv_pwl: kernel[0,0,%d,%d] = %v, want %v", i, o, k.Data[i*out+o], w.Data[o*in+i])
	}
}

func TestLoadTimmInceptionSkipsAuxLogits(t *testing.T) {
	m := buildTimmCase(t, timmCase{"inception_v3", "inception_v3", 0, 75})
	sd := timmStateDict(readTimmKeys(t, "inception_v3"), 4)
	sd["AuxLogits.fc.weight"] = tensor.New(1000, 768)
	if err := LoadTimmStateDict(m, sd); err != nil {
		t.Fatal(err)
	}
	checkTimmValues(t, m, sd)
}

func TestLoadTimmVGGValues(t *testing.T) {
	if testing.Short() {
		t.Skip("VGG-16 holds 138M parameters")
	}
	m := buildTimmCase(t, timmCase{"vgg16", "vgg16", 0, 32})
	sd := timmStateDict(readTimmKeys(t, "vgg16"), 5)
	if err := LoadStateDict(m, sd); err != nil {
		t.Fatal(err)
	}
	// pre_logits.fc1 [4096,512,7,7] -> dense [7*7*512, 4096] over an NHWC
	// flatten: row (y*7+x)*512+c, column o = weight[o,c,y,x].
	k, w := kernelOf(t, m, "classifier.0"), sd["pre_logits.fc1.weight"]
	for _, p := range [][4]int{{0, 0, 0, 0}, {4095, 511, 6, 6}, {1234, 300, 2, 5}} {
		o, c, y, x := p[0], p[1], p[2], p[3]
		if got, want := k.Data[((y*7+x)*512+c)*4096+o], w.Data[((o*512+c)*7+y)*7+x]; got != want {
			t.Errorf("fc1 weight[%d,%d,%d,%d] = %v in Graft, want %v", o, c, y, x, got, want)
		}
	}
	k, w = kernelOf(t, m, "classifier.3"), sd["pre_logits.fc2.weight"]
	if i, o := 4000, 17; k.Data[i*4096+o] != w.Data[o*4096+i] {
		t.Errorf("fc2: kernel[%d,%d] = %v, want %v", i, o, k.Data[i*4096+o], w.Data[o*4096+i])
	}
	l, _ := m.Graph.Layer("classifier.6")
	if got, want := l.(*nn.Dense).Bias.Value.Data[999], sd["head.fc.bias"].Data[999]; got != want {
		t.Errorf("head.fc bias %v, want %v", got, want)
	}
}

func TestLoadTimmErrors(t *testing.T) {
	c := timmCase{"efficientnet_b0", "efficientnet_b0", 0, 32}
	m := buildTimmCase(t, c)
	keys := readTimmKeys(t, c.timm)
	stem := kernelOf(t, m, "features.0.0")
	before := stem.Data[0]
	for _, tc := range []struct {
		name string
		edit func(sd map[string]*tensor.Tensor)
		want []string
	}{
		{"missing", func(sd map[string]*tensor.Tensor) { delete(sd, "blocks.3.2.se.conv_expand.bias") },
			[]string{"missing blocks.3.2.se.conv_expand.bias;", "unexpected none"}},
		{"unexpected", func(sd map[string]*tensor.Tensor) { sd["blocks.7.0.conv_pw.weight"] = tensor.New(1) },
			[]string{"missing none", "unexpected blocks.7.0.conv_pw.weight"}},
		{"shape", func(sd map[string]*tensor.Tensor) { sd["blocks.2.1.conv_dw.weight"] = tensor.New(240, 1, 3, 3) },
			[]string{`"blocks.2.1.conv_dw.weight"`, "[240 1 3 3]", "[240 1 5 5]"}},
		{"classes", func(sd map[string]*tensor.Tensor) { sd["classifier.weight"] = tensor.New(10, 1280) },
			[]string{`"classifier.weight"`, "[10 1280]", "[1000 1280]"}},
	} {
		sd := timmStateDict(keys, 6)
		tc.edit(sd)
		err := LoadTimmStateDict(m, sd)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
	}
	if stem.Data[0] != before {
		t.Error("a failed load changed the stem's kernel")
	}
}

// TestLoadTimmArchitectureDifferences documents timm models that do not
// map onto the zoo's architectures: the loader refuses them, naming a
// tensor.
func TestLoadTimmArchitectureDifferences(t *testing.T) {
	for _, c := range []struct {
		timm, arch string
		width      float64
		want       string
	}{
		// timm scales the expansion from the rounded input width and keeps
		// the 1280-wide head; torchvision rounds each width separately.
		{"mobilenetv3_large_075", "mobilenet_v3_large", 0.75, "blocks.1.0.conv_pw.weight"},
		{"mobilenetv3_small_075", "mobilenet_v3_small", 0.75, `"`},
	} {
		m := buildTimmCase(t, timmCase{c.timm, c.arch, c.width, 32})
		sd := timmStateDict(readTimmKeys(t, c.timm), 7)
		err := LoadTimmStateDict(m, sd)
		if err == nil {
			t.Errorf("%s: loaded onto %s at width %v", c.timm, c.arch, c.width)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q lacks %q", c.timm, err, c.want)
		}
	}
	m, err := Build("mobilenet", Options{IncludeTop: true, InputH: 32, InputW: 32})
	if err != nil {
		t.Fatal(err)
	}
	if err := LoadTimmStateDict(m, map[string]*tensor.Tensor{}); err == nil || !strings.Contains(err.Error(), "timm") {
		t.Errorf("Keras MobileNet V1: error %v, want one saying timm has no such model", err)
	}
}

func TestStateDictClasses(t *testing.T) {
	m := buildTimmCase(t, timmCase{"mobilenetv3_small_100", "mobilenet_v3_small", 1, 32})
	for _, c := range []struct {
		key  string
		want int
	}{{"classifier.weight", 10}, {"classifier.3.weight", 7}, {"other.weight", 0}} {
		sd := map[string]*tensor.Tensor{c.key: tensor.New(c.want+boolInt(c.want == 0), 1024)}
		if got := StateDictClasses(m, sd); got != c.want {
			t.Errorf("%s: %d classes, want %d", c.key, got, c.want)
		}
	}
	if _, _, ok := TimmArch("tf_efficientnet_b0"); ok {
		t.Error("TimmArch accepts a TensorFlow port")
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestLoadStateDictPicksTorchvision(t *testing.T) {
	m, err := Build("efficientnet_b0", Options{IncludeTop: true, InputH: 32, InputW: 32})
	if err != nil {
		t.Fatal(err)
	}
	sd := torchLike(t, m)
	if n, tv, tm := DetectNaming(m, sd); n != NamingTorchvision || tv != len(sd)-countSuffix(sd, ".num_batches_tracked") || tm != 0 {
		t.Errorf("DetectNaming = %v (%d torchvision, %d timm keys)", n, tv, tm)
	}
	if err := LoadStateDict(m, sd); err != nil {
		t.Fatal(err)
	}
	delete(sd, "features.0.0.weight")
	if err := LoadStateDict(m, sd); err == nil || !strings.Contains(err.Error(), "torchvision's names") {
		t.Errorf("error %v does not say which naming was tried", err)
	}
}

func countSuffix(sd map[string]*tensor.Tensor, suffix string) int {
	n := 0
	for k := range sd {
		if strings.HasSuffix(k, suffix) {
			n++
		}
	}
	return n
}
