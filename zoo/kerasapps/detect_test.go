package kerasapps

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeSkeleton writes, with h5py, a weight-only file listing the layer
// names of the model Keras builds for name and opt, holding only the
// kernels detection reads (zeros of the given shapes); other layers are
// empty groups.
func writeSkeleton(t *testing.T, path, name string, opt Options, kernels map[string][]int) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import h5py").Run(); err != nil {
		t.Skipf("skipping: /usr/bin/python3 cannot import h5py (%v); install python3-h5py", err)
	}
	m, err := Build(name, opt)
	if err != nil {
		t.Fatal(err)
	}
	var layers []string
	for _, l := range m.Net.Layers {
		layers = append(layers, l.Name)
	}
	for k := range kernels {
		if !slices.Contains(layers, k) {
			t.Fatalf("%s has no layer %q", name, k)
		}
	}
	spec, err := json.Marshal(map[string]any{"layers": layers, "kernels": kernels})
	if err != nil {
		t.Fatal(err)
	}
	script := `
import h5py, json, numpy as np, sys
spec = json.loads(sys.stdin.read())
with h5py.File(sys.argv[1], 'w') as f:
    f.attrs['layer_names'] = np.array([n.encode() for n in spec['layers']])
    f.attrs['keras_version'] = b'2.2.4'
    for n in spec['layers']:
        g = f.require_group(n)
        shape = spec['kernels'].get(n)
        if shape is None:
            g.attrs['weight_names'] = np.array([])
        else:
            g.attrs['weight_names'] = np.array([(n + '/kernel:0').encode()])
            g.create_dataset(n + '/kernel:0', data=np.zeros(shape, np.float32))
`
	cmd := exec.Command("/usr/bin/python3", "-c", script, path)
	cmd.Stdin = strings.NewReader(string(spec))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("writing %s: %v\n%s", path, err, out)
	}
}

// TestDetectVariants checks that detection tells the EfficientNet variants
// apart (top_conv width and blocks per stage), finds the file's
// Normalization name, and reads MobileNetV3's width, minimalistic variant
// and classes, from files holding only the layers detection reads.
func TestDetectVariants(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		arch    string
		opt     Options
		kernels map[string][]int
	}{
		{"efficientnet_b1", Options{}, map[string][]int{"top_conv": {1, 1, 1, 1280}}},
		{"efficientnet_b2", Options{IncludeTop: true, Classes: 7}, map[string][]int{"top_conv": {1, 1, 1, 1408}, "predictions": {1408, 7}}},
		{"efficientnet_b3", Options{}, map[string][]int{"top_conv": {1, 1, 1, 1536}}},
		{"mobilenet_v3_small", Options{Minimalistic: true}, map[string][]int{"expanded_conv_10/project": {1, 1, 1, 96}}},
		{"mobilenet_v3_large", Options{Alpha: 0.75, IncludeTop: true, Classes: 5},
			map[string][]int{"expanded_conv_14/project": {1, 1, 1, 120}, "Logits": {1, 1, 1, 5}}},
	} {
		path := filepath.Join(dir, c.arch+".h5")
		writeSkeleton(t, path, c.arch, c.opt, c.kernels)
		d, err := Detect(path)
		if err != nil {
			t.Errorf("%s: %v", c.arch, err)
			continue
		}
		want := c.opt
		if want.Alpha == 0 && strings.HasPrefix(c.arch, "mobilenet") {
			want.Alpha = 1
		}
		if d.Arch != c.arch || d.Options.IncludeTop != want.IncludeTop || d.Options.Classes != want.Classes ||
			d.Options.Alpha != want.Alpha || d.Options.Minimalistic != want.Minimalistic {
			t.Errorf("%s %+v: detected %s %+v", c.arch, want, d.Arch, d.Options)
		}
		if strings.HasPrefix(c.arch, "efficientnet") && !slices.Equal(d.Options.fileNames["normalization"], []string{"normalization"}) {
			t.Errorf("%s: Normalization names %v, want [normalization]", c.arch, d.Options.fileNames["normalization"])
		}
	}
	// A B0 top_conv width with B3's blocks matches no variant.
	path := filepath.Join(dir, "mixed.h5")
	writeSkeleton(t, path, "efficientnet_b3", Options{}, map[string][]int{"top_conv": {1, 1, 1, 1280}})
	if _, err := Detect(path); err == nil || !strings.Contains(err.Error(), "match none of EfficientNetB0-B3") {
		t.Errorf("B3 blocks with 1280 top filters: error %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
