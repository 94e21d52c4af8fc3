package tflite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// parseAndPlan is what loading does: parse, dequantise every constant,
// lower to a plan and build the graph. It must never panic.
func parseAndPlan(data []byte) error {
	f, err := Parse(data, "fuzz.tflite")
	if err != nil {
		return err
	}
	for _, sg := range f.Subgraphs {
		for _, t := range sg.Tensors {
			if t.Data != nil {
				_, _ = t.Float32s()
			}
		}
	}
	_, err = FromFile(f, Options{})
	return err
}

func TestTruncatedSynthFails(t *testing.T) {
	for name, s := range synthModels() {
		data := s.bytes()
		if err := parseAndPlan(data); err != nil {
			t.Fatalf("%s: intact model: %v", name, err)
		}
		for n := 0; n < len(data); n++ {
			err := parseAndPlan(data[:n])
			if err == nil {
				t.Fatalf("%s truncated to %d of %d bytes: no error", name, n, len(data))
			}
			if !strings.Contains(err.Error(), "fuzz.tflite") {
				t.Fatalf("%s truncated to %d bytes: error %q does not name the file", name, n, err)
			}
		}
	}
}

func TestBitFlipsNeverPanic(t *testing.T) {
	for name, s := range synthModels() {
		data := s.bytes()
		errs := 0
		for i := 0; i < len(data); i++ {
			for bit := 0; bit < 8; bit++ {
				c := append([]byte(nil), data...)
				c[i] ^= 1 << bit
				if parseAndPlan(c) != nil {
					errs++
				}
			}
		}
		// Many flips land in weights and still parse; flips in offsets and
		// sizes must not. Require a real share of errors.
		if errs < len(data) {
			t.Errorf("%s: only %d of %d bit flips were rejected", name, errs, 8*len(data))
		}
	}
}

// TestSharedModelCorruption truncates and flips one real model (when the
// shared models are present) at many points.
func TestSharedModelCorruption(t *testing.T) {
	shared := sharedDir(t)
	data, err := os.ReadFile(filepath.Join(shared, "coral", "mobilenet_v1_0.25_128_quant.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	// Parse and plan only: building layers is covered by the synthetic
	// models and would only copy the same weights again.
	planOnly := func(d []byte) error {
		f, err := Parse(d, "corrupt.tflite")
		if err == nil {
			_, err = NewPlan(f)
		}
		return err
	}
	for n := 0; n < len(data); n += 1 + n/8 {
		if planOnly(data[:n]) == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(data))
		}
	}
	// Flip bits in the flatbuffer's structure (the weights at the end are
	// mostly opaque data); 0xff bytes make large offsets and lengths.
	for i := 0; i < len(data); i += 1 + i/16 {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			data[i] ^= mask
			_ = planOnly(data)
			data[i] ^= mask
		}
	}
}

func TestParseErrors(t *testing.T) {
	good := synthConv()
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":          {nil, "too short"},
		"identifier":     {append([]byte{8, 0, 0, 0}, "ABCD...."...), "not \"TFL3\""},
		"root offset":    {append([]byte{0xff, 0xff, 0, 0}, "TFL3"...), "out of bounds"},
		"version":        {withModelField(good, modelVersion, fU32(2)), "schema version 2"},
		"no subgraphs":   {withModelField(good, modelSubgraphs, fTables{}), "no subgraphs"},
		"tensor index":   {withSynth(good, func(s *synth) { s.outputs = []int32{9} }), "names tensor 9 of 4"},
		"opcode index":   {withSynth(good, func(s *synth) { s.ops[0][operatorOpcodeIndex] = fU32(5) }), "opcode_index 5"},
		"buffer index":   {withSynth(good, func(s *synth) { s.tensors[1][tensorBuffer] = fU32(40) }), "conv/weights"},
		"data size":      {withSynth(good, func(s *synth) { s.tensors[1][tensorShape] = fInts{2, 3, 3, 2} }), "54 bytes for shape [2 3 3 2]"},
		"channel scales": {withSynth(good, func(s *synth) { s.tensors[1][tensorQuantization] = quant([]float32{1, 2, 3}, []int64{0, 0, 0}, 0) }), "3 scales along dimension 0"},
		"zero points":    {withSynth(good, func(s *synth) { s.tensors[1][tensorQuantization] = quant([]float32{1}, []int64{0, 0}, 0) }), "2 zero points for 1 scales"},
		"bad scale":      {withSynth(good, func(s *synth) { s.tensors[1][tensorQuantization] = quant([]float32{-1}, nil, 0) }), "not a positive finite"},
		"options type":   {withSynth(good, func(s *synth) { s.ops[0][operatorOptionsType] = fU8(optPool2D) }), "options type 5, want 1"},
	}
	for name, c := range cases {
		_, err := Parse(c.data, "bad.tflite")
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "bad.tflite") {
			t.Errorf("%s: error %q does not mention %q and the file", name, err, c.want)
		}
		if name == "root offset" && !errors.Is(err, errOutOfBounds) {
			t.Errorf("%s: error %q does not wrap errOutOfBounds", name, err)
		}
	}
}

// TestSharedStructureBounded builds a 40 KB file whose 5000 subgraphs all
// point at one subgraph of 5000 references to one tensor: 25 million table
// reads if followed naively. The work budget must stop it with an error.
func TestSharedStructureBounded(t *testing.T) {
	s := synthConv()
	tensor := fbTable{tensorShape: fInts{1}, tensorType: fU8(Float32), tensorName: fStr("x")}
	sg := fbTable{subgraphTensors: fRepeat{tensor, 5000}, subgraphInputs: fInts{0}, subgraphOutputs: fInts{0}}
	m := fbTable{modelVersion: fU32(3), modelOperatorCodes: fTables(s.codes), modelSubgraphs: fRepeat{sg, 5000}, modelBuffers: fTables(s.buffers)}
	data := encodeFlatbuffer(m, "TFL3")
	_, err := Parse(data, "shared.tflite")
	if err == nil || !strings.Contains(err.Error(), "revisit") {
		t.Fatalf("error %v, want the work budget to stop the parse", err)
	}
	// A single shared subgraph is legal and parses.
	m[modelSubgraphs] = fRepeat{sg, 2}
	f, err := Parse(encodeFlatbuffer(m, "TFL3"), "shared.tflite")
	if err != nil || len(f.Subgraphs) != 2 || len(f.Subgraphs[1].Tensors) != 5000 {
		t.Fatalf("two shared subgraphs: %v", err)
	}
}

func TestPlanErrors(t *testing.T) {
	cases := map[string]struct {
		s    *synth
		want string
	}{
		"unsupported op": {withOp(synthConv(), func(s *synth) { s.codes[0][opcodeBuiltin] = fI32(39); s.codes[0][opcodeDeprecatedBuiltin] = fU8(39) }), "operator 0 (BuiltinOperator(39)) -> \"conv/out\": operator is not supported"},
		"stride":         {withOp(synthConv(), func(s *synth) { s.ops[0][operatorOptions].(fbTable)[1] = fI32(0) }), "stride 2x0"},
		"weights input":  {withOp(synthConv(), func(s *synth) { s.ops[0][operatorInputs] = fInts{0, 0, 2} }), "input 1 \"input\" must be a constant"},
		"filter shape":   {withOp(synthConv(), func(s *synth) { s.tensors[0][tensorShape] = fInts{1, 5, 4, 2} }), "does not fit an input of 2 channels"},
		"activation":     {withOp(synthConv(), func(s *synth) { s.ops[0][operatorOptions].(fbTable)[3] = fU8(ActSignBit) }), "SIGN_BIT"},
		"zero dim":       {withOp(synthConv(), func(s *synth) { s.tensors[0][tensorShape] = fInts{1, 0, 4, 3} }), "every dimension must be positive"},
		"order":          {withOp(synthHead(), func(s *synth) { s.ops[0], s.ops[1] = s.ops[1], s.ops[0] }), "used before any operator computes it"},
		"mean axes":      {withOp(synthBranches(), func(s *synth) { s.buffers[len(s.buffers)-1] = fbTable{bufferData: fBytes{3, 0, 0, 0, 2, 0, 0, 0}} }), "only the spatial axes"},
	}
	for name, c := range cases {
		f, err := Parse(c.s.bytes(), "plan.tflite")
		if err != nil {
			t.Errorf("%s: parse: %v", name, err)
			continue
		}
		_, err = NewPlan(f)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "plan.tflite") {
			t.Errorf("%s: error %v, want one mentioning %q and the file", name, err, c.want)
		}
	}
}

func withSynth(s *synth, edit func(*synth)) []byte {
	c := *s
	c.tensors = cloneTables(s.tensors)
	c.ops = cloneTables(s.ops)
	c.codes = cloneTables(s.codes)
	edit(&c)
	return c.bytes()
}

func withOp(s *synth, edit func(*synth)) *synth {
	edit(s)
	return s
}

func cloneTables(ts []fbTable) []fbTable {
	out := make([]fbTable, len(ts))
	for i, t := range ts {
		out[i] = fbTable{}
		for k, v := range t {
			out[i][k] = v
		}
	}
	return out
}

// withModelField re-encodes s with one Model field replaced.
func withModelField(s *synth, field int, v any) []byte {
	sg := fbTable{subgraphTensors: fTables(s.tensors), subgraphInputs: fInts(s.inputs), subgraphOutputs: fInts(s.outputs), subgraphOperators: fTables(s.ops)}
	m := fbTable{modelVersion: fU32(3), modelOperatorCodes: fTables(s.codes), modelSubgraphs: fTables{sg}, modelBuffers: fTables(s.buffers)}
	m[field] = v
	return encodeFlatbuffer(m, "TFL3")
}
