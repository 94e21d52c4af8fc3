// Package torch reads PyTorch checkpoints: the zip format torch.save has
// written since 1.6 (.pt/.pth), and the legacy pickle stream before it. Only
// tensors and plain containers are rebuilt; any other Python object in the
// file is refused, so loading an untrusted checkpoint cannot run code.
// Tensors come back as float32 in PyTorch's own layout (OIHW convolution
// weights, [out, in] linear weights); mapping them onto Graft's layouts is
// the job of the model that consumes them.
package torch

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/graft-ml/graft/formats/internal/half"
	"io"
	"math"
	"math/big"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/graft-ml/graft/tensor"
)

// Checkpoint is the tensors a file holds, by dotted name ("layer1.0.conv1.weight"),
// with the non-tensor scalars (epoch numbers, version strings) alongside.
type Checkpoint struct {
	File    string
	Tensors map[string]*tensor.Tensor
	// Order is the tensors' names in the order the file lists them.
	Order []string
	// Meta holds scalar entries (ints, floats, strings, bools) by dotted name.
	Meta map[string]any
}

// maxTensorBytes bounds one storage, so a corrupt header cannot make the
// loader allocate without limit.
const maxTensorBytes = 8 << 30

// Load reads a PyTorch checkpoint file.
func Load(file string) (*Checkpoint, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("torch: %w", err)
	}
	return Decode(data, file)
}

// Decode reads a checkpoint held in memory; name is used in errors.
func Decode(data []byte, name string) (*Checkpoint, error) {
	var (
		obj any
		err error
		rd  storageReader
	)
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		obj, rd, err = decodeZip(data)
	} else {
		obj, rd, err = decodeLegacy(data)
	}
	if err != nil {
		return nil, fmt.Errorf("torch: %s: %w", name, err)
	}
	ck := &Checkpoint{File: name, Tensors: map[string]*tensor.Tensor{}, Meta: map[string]any{}}
	if err := ck.collect("", obj, rd, 0); err != nil {
		return nil, fmt.Errorf("torch: %s: %w", name, err)
	}
	if len(ck.Tensors) == 0 {
		return nil, fmt.Errorf("torch: %s: the file holds no tensors", name)
	}
	return ck, nil
}

// storageReader returns the raw bytes of a storage.
type storageReader func(ref *storageRef) ([]byte, error)

func (ck *Checkpoint) collect(prefix string, v any, rd storageReader, depth int) error {
	if depth > 64 {
		return fmt.Errorf("%s: containers nested too deeply", prefix)
	}
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch x := v.(type) {
	case *reduceCall:
		if d, ok := x.state.(*pickleDict); ok {
			return ck.collect(prefix, d, rd, depth+1)
		}
		return nil
	case *pickleDict:
		for _, k := range x.keys {
			var ks string
			switch kk := k.(type) {
			case string:
				ks = kk
			case int64:
				ks = fmt.Sprint(kk)
			default:
				continue
			}
			if err := ck.collect(join(ks), x.values[k], rd, depth+1); err != nil {
				return err
			}
		}
	case *pickleList:
		for i, it := range x.items {
			if err := ck.collect(join(fmt.Sprint(i)), it, rd, depth+1); err != nil {
				return err
			}
		}
	case pickleTuple:
		for i, it := range x {
			if err := ck.collect(join(fmt.Sprint(i)), it, rd, depth+1); err != nil {
				return err
			}
		}
	case *tensorRef:
		t, err := materialise(x, rd)
		if err != nil {
			return fmt.Errorf("tensor %s: %w", prefix, err)
		}
		if _, dup := ck.Tensors[prefix]; dup {
			return fmt.Errorf("tensor %s appears twice", prefix)
		}
		ck.Tensors[prefix] = t
		ck.Order = append(ck.Order, prefix)
	case int64, float64, string, bool:
		ck.Meta[prefix] = x
	}
	return nil
}

// StateDict returns the model weights: the tensors under "state_dict" or
// "model" when the checkpoint wraps them (as training scripts do), with a
// leading "module." (from DataParallel) removed.
func (ck *Checkpoint) StateDict() map[string]*tensor.Tensor {
	for _, wrap := range []string{"state_dict.", "model_state_dict.", "model.", "net."} {
		sub := map[string]*tensor.Tensor{}
		for k, t := range ck.Tensors {
			if s, ok := strings.CutPrefix(k, wrap); ok {
				sub[s] = t
			}
		}
		if len(sub) > 0 && len(sub) >= len(ck.Tensors)/2 {
			return stripModule(sub)
		}
	}
	return stripModule(ck.Tensors)
}

func stripModule(m map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	out := make(map[string]*tensor.Tensor, len(m))
	all := true
	for k := range m {
		if !strings.HasPrefix(k, "module.") {
			all = false
			break
		}
	}
	for k, t := range m {
		if all {
			k = strings.TrimPrefix(k, "module.")
		}
		out[k] = t
	}
	return out
}

// Names returns the tensor names in sorted order.
func (ck *Checkpoint) Names() []string {
	names := make([]string, 0, len(ck.Tensors))
	for k := range ck.Tensors {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func elemSize(dtype string) int {
	switch dtype {
	case "double", "long":
		return 8
	case "float", "int":
		return 4
	case "half", "bfloat16", "short":
		return 2
	case "char", "byte", "bool":
		return 1
	}
	return 0
}

// persistentStorage turns ('storage', StorageType, key, location, numel, [view]) into a storageRef.
func persistentStorage(pid pickleTuple) (any, error) {
	if len(pid) < 5 {
		return nil, fmt.Errorf("pickle: persistent id with %d fields", len(pid))
	}
	if s, ok := pid[0].(string); !ok || s != "storage" {
		return nil, fmt.Errorf("pickle: persistent id of kind %v", pid[0])
	}
	g, ok := pid[1].(pickleGlobal)
	if !ok {
		return nil, fmt.Errorf("pickle: storage type is %T", pid[1])
	}
	dtype, ok := storageDTypes[g.name]
	if !ok {
		return nil, fmt.Errorf("pickle: unsupported storage type %s", g.name)
	}
	key, ok := pid[2].(string)
	if !ok {
		return nil, fmt.Errorf("pickle: storage key is %T", pid[2])
	}
	numel, _ := pid[4].(int64)
	ref := &storageRef{dtype: dtype, key: key, numel: numel}
	if len(pid) >= 6 && pid[5] != nil {
		view, ok := pid[5].(pickleTuple)
		if !ok || len(view) != 3 {
			return nil, fmt.Errorf("pickle: storage view metadata %v", pid[5])
		}
		root, _ := view[0].(string)
		off, _ := view[1].(int64)
		size, _ := view[2].(int64)
		ref.viewOf, ref.viewOff, ref.viewSize = root, off, size
	}
	return ref, nil
}

func decodeZip(data []byte) (any, storageReader, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, fmt.Errorf("zip: %w", err)
	}
	var pkl *zip.File
	records := map[string]*zip.File{}
	for _, f := range zr.File {
		dir, base := path.Split(f.Name)
		if base == "data.pkl" && strings.Count(dir, "/") == 1 {
			pkl = f
		}
		if strings.HasSuffix(dir, "/data/") {
			records[base] = f
		}
	}
	if pkl == nil {
		return nil, nil, fmt.Errorf("zip archive has no data.pkl")
	}
	pdata, err := readZipEntry(pkl, 1<<30)
	if err != nil {
		return nil, nil, err
	}
	u := &unpickler{data: pdata, persistentLoad: persistentStorage}
	obj, err := u.run()
	if err != nil {
		return nil, nil, fmt.Errorf("data.pkl: %w", err)
	}
	cache := map[string][]byte{}
	rd := func(ref *storageRef) ([]byte, error) {
		if b, ok := cache[ref.key]; ok {
			return b, nil
		}
		f, ok := records[ref.key]
		if !ok {
			return nil, fmt.Errorf("storage record data/%s is missing", ref.key)
		}
		b, err := readZipEntry(f, maxTensorBytes)
		if err != nil {
			return nil, err
		}
		cache[ref.key] = b
		return b, nil
	}
	return obj, rd, nil
}

func readZipEntry(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s: %d bytes exceeds the limit of %d", f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	if uint64(len(b)) != f.UncompressedSize64 {
		return nil, fmt.Errorf("%s: %d bytes, header says %d", f.Name, len(b), f.UncompressedSize64)
	}
	return b, nil
}

func decodeLegacy(data []byte) (any, storageReader, error) {
	pos := 0
	next := func(pl func(pickleTuple) (any, error)) (any, error) {
		u := &unpickler{data: data[pos:], persistentLoad: pl}
		v, err := u.run()
		pos += u.pos
		return v, err
	}
	magic, err := next(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("not a PyTorch file (neither zip nor legacy pickle): %w", err)
	}
	if !isLegacyMagic(magic) {
		return nil, nil, fmt.Errorf("not a PyTorch file: unexpected first value %v", magic)
	}
	if _, err := next(nil); err != nil { // protocol version
		return nil, nil, fmt.Errorf("legacy header: %w", err)
	}
	if _, err := next(nil); err != nil { // sys info
		return nil, nil, fmt.Errorf("legacy header: %w", err)
	}
	storages := map[string]*storageRef{}
	obj, err := next(func(pid pickleTuple) (any, error) {
		v, err := persistentStorage(pid)
		if err != nil {
			return nil, err
		}
		ref := v.(*storageRef)
		root := ref.key
		if ref.viewOf != "" {
			root = ref.viewOf
		}
		if _, ok := storages[root]; !ok {
			storages[root] = &storageRef{dtype: ref.dtype, key: root, numel: ref.numel}
		}
		return ref, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("legacy body: %w", err)
	}
	keysV, err := next(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("legacy storage keys: %w", err)
	}
	kl, ok := keysV.(*pickleList)
	if !ok {
		return nil, nil, fmt.Errorf("legacy storage keys are %T", keysV)
	}
	raw := map[string][]byte{}
	for _, kv := range kl.items {
		key, ok := kv.(string)
		if !ok {
			return nil, nil, fmt.Errorf("legacy storage key is %T", kv)
		}
		ref, ok := storages[key]
		if !ok {
			return nil, nil, fmt.Errorf("legacy storage %s is not used by any tensor", key)
		}
		if pos+8 > len(data) {
			return nil, nil, fmt.Errorf("legacy storage %s: truncated", key)
		}
		n := int64(binary.LittleEndian.Uint64(data[pos:]))
		pos += 8
		es := int64(elemSize(ref.dtype))
		if n < 0 || n > int64(len(data)-pos)/es {
			return nil, nil, fmt.Errorf("legacy storage %s: %d elements do not fit in the file", key, n)
		}
		raw[key] = data[pos : pos+int(n*es)]
		pos += int(n * es)
	}
	rd := func(ref *storageRef) ([]byte, error) {
		key := ref.key
		if ref.viewOf != "" {
			key = ref.viewOf
		}
		b, ok := raw[key]
		if !ok {
			return nil, fmt.Errorf("legacy storage %s is missing", key)
		}
		if ref.viewOf != "" {
			es := int64(elemSize(ref.dtype))
			lo, hi := ref.viewOff*es, (ref.viewOff+ref.viewSize)*es
			if lo < 0 || hi > int64(len(b)) || lo > hi {
				return nil, fmt.Errorf("legacy storage view %s is out of range", ref.key)
			}
			b = b[lo:hi]
		}
		return b, nil
	}
	return obj, rd, nil
}

func isLegacyMagic(v any) bool {
	b, ok := v.(*big.Int)
	if !ok {
		return false
	}
	want, _ := new(big.Int).SetString("1950a86a20f9469cfc6c", 16)
	return b.Cmp(want) == 0
}

// materialise copies a (possibly strided) tensor out of its storage as float32.
func materialise(t *tensorRef, rd storageReader) (*tensor.Tensor, error) {
	es := elemSize(t.storage.dtype)
	if es == 0 {
		return nil, fmt.Errorf("unsupported dtype %s", t.storage.dtype)
	}
	raw, err := rd(t.storage)
	if err != nil {
		return nil, err
	}
	numel := int64(len(raw) / es)
	shape := make([]int, len(t.size))
	count := int64(1)
	maxIdx := t.offset
	for i, s := range t.size {
		if s > math.MaxInt32 {
			return nil, fmt.Errorf("dimension %d of size %d is too large", i, s)
		}
		shape[i] = int(s)
		count *= s
		if count > maxTensorBytes {
			return nil, fmt.Errorf("size %v is too large", t.size)
		}
		if s > 1 {
			st := t.stride[i]
			if st > 0 && s-1 > numel/st {
				return nil, fmt.Errorf("size %v stride %v reads past its storage of %d elements", t.size, t.stride, numel)
			}
			maxIdx += (s - 1) * st
			if maxIdx >= numel {
				return nil, fmt.Errorf("size %v stride %v offset %d reads past its storage of %d elements", t.size, t.stride, t.offset, numel)
			}
		}
	}
	if count > 0 && (t.offset >= numel || maxIdx >= numel) {
		return nil, fmt.Errorf("size %v stride %v offset %d reads past its storage of %d elements", t.size, t.stride, t.offset, numel)
	}
	out := tensor.New(shape...)
	if count == 0 {
		return out, nil
	}
	idx := make([]int64, len(shape))
	for j := range out.Data {
		off := t.offset
		for d := range idx {
			off += idx[d] * t.stride[d]
		}
		out.Data[j] = decodeElem(t.storage.dtype, raw[off*int64(es):])
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < t.size[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out, nil
}

func decodeElem(dtype string, b []byte) float32 {
	switch dtype {
	case "float":
		return math.Float32frombits(binary.LittleEndian.Uint32(b))
	case "double":
		return float32(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	case "half":
		return half.ToFloat32(binary.LittleEndian.Uint16(b))
	case "bfloat16":
		return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16)
	case "long":
		return float32(int64(binary.LittleEndian.Uint64(b)))
	case "int":
		return float32(int32(binary.LittleEndian.Uint32(b)))
	case "short":
		return float32(int16(binary.LittleEndian.Uint16(b)))
	case "char":
		return float32(int8(b[0]))
	case "byte", "bool":
		return float32(b[0])
	}
	return 0
}
