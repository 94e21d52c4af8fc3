// Command gencorpus writes FuzzRead's seed corpus. Run it from
// formats/safetensors after testdata/gen.py:
//
//	go run ./testdata/gencorpus
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/graft-ml/graft/formats/safetensors"
	"github.com/graft-ml/graft/tensor"
)

func build(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func main() {
	seeds := map[string][]byte{
		"empty-object":  build("{}", nil),
		"padded":        build(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}      `, []byte{1, 2}),
		"every-dtype":   must(os.ReadFile("testdata/python.safetensors")),
		"bool":          build(`{"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}`, []byte{0, 1}),
		"f16-bf16":      build(`{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}}`, []byte{0, 0x3c, 0xff, 0x7b, 0x80, 0x3f}),
		"overlap":       build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)),
		"huge-shape":    build(`{"w":{"dtype":"F64","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}}`, make([]byte, 8)),
		"huge-length":   binary.LittleEndian.AppendUint64(nil, 1<<62),
		"metadata-only": build(`{"__metadata__":{"format":"pt"}}`, nil),
	}
	var buf bytes.Buffer
	x, _ := tensor.FromData([]float32{1, -2, 3, 4}, 2, 2)
	if err := safetensors.Encode(&buf, []safetensors.Entry{{Name: "w", Tensor: x}}, map[string]string{"k": "v"}); err != nil {
		log.Fatal(err)
	}
	seeds["graft-written"] = buf.Bytes()
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	for name, data := range seeds {
		text := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		log.Fatal(err)
	}
	return b
}
