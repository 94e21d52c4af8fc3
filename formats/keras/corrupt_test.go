package keras

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyDir copies a fixture directory into a temporary one.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// editManifest rewrites a TF.js model.json through edit.
func editManifest(t *testing.T, dir string, edit func(m map[string]any)) {
	t.Helper()
	p := filepath.Join(dir, "model.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// weightSpec returns the manifest entry named name.
func weightSpec(m map[string]any, name string) map[string]any {
	for _, g := range m["weightsManifest"].([]any) {
		for _, w := range g.(map[string]any)["weights"].([]any) {
			if w.(map[string]any)["name"] == name {
				return w.(map[string]any)
			}
		}
	}
	return nil
}

// wantError checks err is not nil and mentions every part.
func wantError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not mention %q", err, p)
		}
	}
}

func TestCorruptTFJS(t *testing.T) {
	t.Run("bad JSON", func(t *testing.T) {
		dir := copyDir(t, "testdata/tiny_tfjs")
		os.WriteFile(filepath.Join(dir, "model.json"), []byte(`{"modelTopology": {`), 0o644)
		_, err := Load(dir)
		wantError(t, err, "model.json")
	})
	t.Run("truncated shard", func(t *testing.T) {
		dir := copyDir(t, "testdata/tiny_tfjs")
		p := filepath.Join(dir, "group1-shard2of2.bin")
		b, _ := os.ReadFile(p)
		os.WriteFile(p, b[:len(b)-10], 0o644)
		_, err := Load(dir)
		wantError(t, err, "model.json", "group1-shard2of2.bin", "dense1/bias", "truncated")
	})
	t.Run("missing shard", func(t *testing.T) {
		dir := copyDir(t, "testdata/tiny_tfjs")
		os.Remove(filepath.Join(dir, "group1-shard1of2.bin"))
		_, err := Load(dir)
		wantError(t, err, "group1-shard1of2.bin")
	})
	t.Run("extra bytes", func(t *testing.T) {
		dir := copyDir(t, "testdata/tiny_tfjs")
		p := filepath.Join(dir, "group1-shard2of2.bin")
		b, _ := os.ReadFile(p)
		os.WriteFile(p, append(b, 0, 0, 0, 0), 0o644)
		_, err := Load(dir)
		wantError(t, err, "bytes left")
	})
	t.Run("wrong shape", func(t *testing.T) {
		dir := copyDir(t, "testdata/tiny_tfjs")
		editManifest(t, dir, func(m map[string]any) {
			weightSpec(m, "conv1/kernel")["shape"] = []int{3, 3, 4, 3}
		})
		_, err := Load(dir)
		wantError(t, err, "model.json", `layer "conv1"`, `weight "kernel"`, "[3 3 4 3]", "[3 3 3 4]")
	})
	t.Run("missing weight", func(t *testing.T) {
		dir := copyDir(t, "testdata/tiny_tfjs")
		editManifest(t, dir, func(m map[string]any) {
			weightSpec(m, "bn1/gamma")["name"] = "elsewhere/gamma"
		})
		_, err := Load(dir)
		wantError(t, err, `layer "bn1"`, "gamma", "moving_variance")
	})
	t.Run("bad quantisation", func(t *testing.T) {
		dir := copyDir(t, "testdata/tiny_tfjs_u8")
		editManifest(t, dir, func(m map[string]any) {
			delete(weightSpec(m, "dense0/kernel")["quantization"].(map[string]any), "min")
		})
		_, err := Load(dir)
		wantError(t, err, "dense0/kernel", "min")
	})
	t.Run("graph model", func(t *testing.T) {
		_, err := ParseTFJS([]byte(`{"format": "graph-model", "modelTopology": {}}`), "g/model.json", nil)
		wantError(t, err, "g/model.json", "graph model")
	})
}

// configWith returns the tiny Keras 2 config with one layer's class and
// config fields changed.
func configWith(t *testing.T, layer, class string, fields map[string]any) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/tiny_k2.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, l := range m["config"].(map[string]any)["layers"].([]any) {
		l := l.(map[string]any)
		if l["name"] != layer {
			continue
		}
		if class != "" {
			l["class_name"] = class
		}
		for k, v := range fields {
			l["config"].(map[string]any)[k] = v
		}
	}
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name   string
		config []byte
		parts  []string
	}{
		{"unsupported class", configWith(t, "act", "PReLU", nil), []string{`layer "act"`, `"PReLU"`}},
		{"unsupported activation", configWith(t, "act", "", map[string]any{"activation": "tanh"}), []string{`layer "act"`, `"tanh"`}},
		{"channels_first", configWith(t, "conv1", "", map[string]any{"data_format": "channels_first"}), []string{`layer "conv1"`, "channels_first"}},
		{"bad padding", configWith(t, "conv1", "", map[string]any{"padding": "causal"}), []string{`layer "conv1"`, "causal"}},
		{"concat axis", configWith(t, "cat", "", map[string]any{"axis": 0}), []string{`layer "cat"`, "axis"}},
		{"relu threshold", configWith(t, "relu6", "", map[string]any{"threshold": 1.0}), []string{`layer "relu6"`, "threshold"}},
		{"huge dense", configWith(t, "dense1", "", map[string]any{"units": 1 << 24}), []string{`layer "dense1"`, "limit"}},
		{"bad JSON", []byte(`{"class_name": "Functional", "config": {"layers": [`), []string{"model config"}},
		{"not a model", []byte(`{"class_name": "Dense", "config": {}}`), []string{`"Dense"`}},
		{"dangling input", []byte(`{"class_name": "Functional", "config": {"name": "m", "layers": [
			{"class_name": "InputLayer", "name": "in", "config": {"batch_input_shape": [null, 4, 4, 1]}, "inbound_nodes": []},
			{"class_name": "Flatten", "name": "f", "config": {}, "inbound_nodes": [[["nowhere", 0, 0, {}]]]}],
			"input_layers": [["in", 0, 0]], "output_layers": [["f", 0, 0]]}}`), []string{`"f"`, "never computed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromConfig(c.config, "2.13.1")
			wantError(t, err, c.parts...)
		})
	}
}

func TestCorruptH5(t *testing.T) {
	t.Run("truncated file", func(t *testing.T) {
		b, _ := os.ReadFile("testdata/tiny_k2.h5")
		p := filepath.Join(t.TempDir(), "cut.h5")
		os.WriteFile(p, b[:len(b)/2], 0o644)
		_, err := Load(p)
		wantError(t, err, "cut.h5")
	})
	t.Run("weights of another model", func(t *testing.T) {
		cfg, _ := os.ReadFile("testdata/tiny_k2.json")
		m, err := FromConfig(cfg, "2.13.1")
		if err != nil {
			t.Fatal(err)
		}
		err = LoadWeightsH5(m, "testdata/nested_k2.h5")
		wantError(t, err, "nested_k2.h5", `layer "norm"`, "no weights")
	})
	t.Run("weights-only file as a model", func(t *testing.T) {
		_, err := Load("testdata/tiny_weights.h5")
		wantError(t, err, "tiny_weights.h5", "model_config")
	})
}

func TestCorruptKerasZip(t *testing.T) {
	orig, err := os.ReadFile("testdata/tiny_k3.keras")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("truncated", func(t *testing.T) {
		_, err := LoadKerasReader(bytes.NewReader(orig[:len(orig)-40]), int64(len(orig)-40), "cut.keras")
		wantError(t, err, "cut.keras")
	})
	rewrite := func(t *testing.T, drop string, replace map[string][]byte) []byte {
		zr, err := zip.NewReader(bytes.NewReader(orig), int64(len(orig)))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, f := range zr.File {
			if f.Name == drop {
				continue
			}
			rc, _ := f.Open()
			var b bytes.Buffer
			b.ReadFrom(rc)
			rc.Close()
			data := b.Bytes()
			if r, ok := replace[f.Name]; ok {
				data = r
			}
			w, _ := zw.Create(f.Name)
			w.Write(data)
		}
		zw.Close()
		return buf.Bytes()
	}
	t.Run("no weights", func(t *testing.T) {
		b := rewrite(t, "model.weights.h5", nil)
		_, err := LoadKerasReader(bytes.NewReader(b), int64(len(b)), "x.keras")
		wantError(t, err, "x.keras", "model.weights.h5")
	})
	t.Run("config of another model", func(t *testing.T) {
		other, _ := os.ReadFile("testdata/tiny_k3.json")
		other = bytes.Replace(other, []byte(`"filters": 4`), []byte(`"filters": 5`), 1)
		b := rewrite(t, "", map[string][]byte{"config.json": other})
		_, err := LoadKerasReader(bytes.NewReader(b), int64(len(b)), "x.keras")
		wantError(t, err, "x.keras:model.weights.h5", `layer "conv1"`, `weight "kernel"`)
	})
}
