package torch

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
)

// This file is a restricted pickle virtual machine. It understands the
// opcodes torch.save emits (protocols 2 to 5) and rebuilds only plain
// containers and tensors: any global outside a short allow-list is refused,
// so a malicious file cannot make Graft run code.

// pickleGlobal is a class or function reference the unpickler allowed.
type pickleGlobal struct{ module, name string }

// pickleMark is the MARK opcode's sentinel on the stack.
type pickleMark struct{}

// pickleTuple is an immutable sequence.
type pickleTuple []any

// pickleList is a mutable sequence; a pointer so that APPEND after memoising works.
type pickleList struct{ items []any }

// pickleDict keeps insertion order, as OrderedDict and Python 3 dicts do.
type pickleDict struct {
	keys   []any
	values map[any]any
}

func newDict() *pickleDict { return &pickleDict{values: map[any]any{}} }

func (d *pickleDict) set(k, v any) error {
	switch k.(type) {
	case string, int64, bool, float64, nil:
	default:
		return fmt.Errorf("unsupported dictionary key of type %T", k)
	}
	if _, ok := d.values[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.values[k] = v
	return nil
}

// storageRef is a persistent id naming a tensor's storage.
type storageRef struct {
	dtype    string // "float", "half", ...
	key      string // record name (zip) or storage key (legacy)
	numel    int64  // declared element count (legacy only; -1 if unknown)
	viewOf   string // legacy view_metadata root key, or ""
	viewOff  int64
	viewSize int64
}

// tensorRef is a rebuilt tensor that still points at its storage.
type tensorRef struct {
	storage *storageRef
	offset  int64
	size    []int64
	stride  []int64
}

// reduceCall is an object constructed by REDUCE or NEWOBJ from an allowed
// global; BUILD may fill its state.
type reduceCall struct {
	fn    pickleGlobal
	state any
}

var allowedGlobals = map[string]bool{
	"collections.OrderedDict":            true,
	"torch._utils._rebuild_tensor_v2":    true,
	"torch._utils._rebuild_tensor":       true,
	"torch._utils._rebuild_parameter":    true,
	"torch._utils._rebuild_parameter_v2": true,
	"torch.nn.parameter.Parameter":       true,
	"builtins.set":                       true,
	"__builtin__.set":                    true,
	"torch.Size":                         true,
	"numpy.core.multiarray.scalar":       false, // listed to make the refusal explicit
}

// storageDTypes maps torch storage classes to element types.
var storageDTypes = map[string]string{
	"FloatStorage": "float", "DoubleStorage": "double", "HalfStorage": "half", "BFloat16Storage": "bfloat16",
	"LongStorage": "long", "IntStorage": "int", "ShortStorage": "short", "CharStorage": "char",
	"ByteStorage": "byte", "BoolStorage": "bool",
}

// unpickler decodes one pickle.
type unpickler struct {
	data  []byte
	pos   int
	stack []any
	memo  map[int64]any
	// persistentLoad turns a persistent id tuple into a storage reference.
	persistentLoad func(pid pickleTuple) (any, error)
	ops            int
}

const (
	maxPickleOps   = 50_000_000
	maxPickleStack = 1 << 20
)

func (u *unpickler) read(n int) ([]byte, error) {
	if n < 0 || u.pos+n > len(u.data) || u.pos+n < u.pos {
		return nil, fmt.Errorf("pickle truncated at byte %d (need %d more)", u.pos, n)
	}
	b := u.data[u.pos : u.pos+n]
	u.pos += n
	return b, nil
}

func (u *unpickler) readLine() (string, error) {
	for i := u.pos; i < len(u.data); i++ {
		if u.data[i] == '\n' {
			s := string(u.data[u.pos:i])
			u.pos = i + 1
			return s, nil
		}
	}
	return "", fmt.Errorf("pickle truncated: unterminated line at byte %d", u.pos)
}

func (u *unpickler) push(v any) error {
	if len(u.stack) >= maxPickleStack {
		return fmt.Errorf("pickle stack exceeds %d entries", maxPickleStack)
	}
	u.stack = append(u.stack, v)
	return nil
}

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 {
		return nil, fmt.Errorf("pickle stack underflow at byte %d", u.pos)
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	if _, ok := v.(pickleMark); ok {
		return nil, fmt.Errorf("pickle: unexpected MARK at byte %d", u.pos)
	}
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 {
		return nil, fmt.Errorf("pickle stack underflow at byte %d", u.pos)
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark pops everything above the topmost MARK and the MARK itself.
func (u *unpickler) popMark() ([]any, error) {
	for i := len(u.stack) - 1; i >= 0; i-- {
		if _, ok := u.stack[i].(pickleMark); ok {
			items := append([]any(nil), u.stack[i+1:]...)
			u.stack = u.stack[:i]
			return items, nil
		}
	}
	return nil, fmt.Errorf("pickle: no MARK on the stack at byte %d", u.pos)
}

// run executes the pickle until STOP and returns the result.
func (u *unpickler) run() (any, error) {
	if u.memo == nil {
		u.memo = map[int64]any{}
	}
	for {
		u.ops++
		if u.ops > maxPickleOps {
			return nil, fmt.Errorf("pickle: more than %d operations", maxPickleOps)
		}
		b, err := u.read(1)
		if err != nil {
			return nil, err
		}
		op := b[0]
		if err := u.step(op); err != nil {
			if err == errStop {
				return u.pop()
			}
			return nil, err
		}
	}
}

var errStop = fmt.Errorf("STOP")

func (u *unpickler) step(op byte) error {
	switch op {
	case 0x80: // PROTO
		_, err := u.read(1)
		return err
	case 0x95: // FRAME
		_, err := u.read(8)
		return err
	case '.': // STOP
		return errStop
	case '(': // MARK
		return u.push(pickleMark{})
	case '}': // EMPTY_DICT
		return u.push(newDict())
	case ']': // EMPTY_LIST
		return u.push(&pickleList{})
	case ')': // EMPTY_TUPLE
		return u.push(pickleTuple{})
	case 0x8f: // EMPTY_SET
		return u.push(&pickleList{})
	case 'N': // NONE
		return u.push(nil)
	case 0x88: // NEWTRUE
		return u.push(true)
	case 0x89: // NEWFALSE
		return u.push(false)
	case 'J': // BININT
		b, err := u.read(4)
		if err != nil {
			return err
		}
		return u.push(int64(int32(binary.LittleEndian.Uint32(b))))
	case 'K': // BININT1
		b, err := u.read(1)
		if err != nil {
			return err
		}
		return u.push(int64(b[0]))
	case 'M': // BININT2
		b, err := u.read(2)
		if err != nil {
			return err
		}
		return u.push(int64(binary.LittleEndian.Uint16(b)))
	case 0x8a: // LONG1
		b, err := u.read(1)
		if err != nil {
			return err
		}
		return u.pushLong(int(b[0]))
	case 0x8b: // LONG4
		b, err := u.read(4)
		if err != nil {
			return err
		}
		n := int(binary.LittleEndian.Uint32(b))
		if n > 64 {
			return fmt.Errorf("pickle: integer of %d bytes is too large", n)
		}
		return u.pushLong(n)
	case 'G': // BINFLOAT (big-endian)
		b, err := u.read(8)
		if err != nil {
			return err
		}
		return u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case 'X': // BINUNICODE
		return u.pushString(4, false)
	case 0x8c: // SHORT_BINUNICODE
		return u.pushString(1, false)
	case 0x8d: // BINUNICODE8
		return u.pushString(8, false)
	case 'T': // BINSTRING
		return u.pushString(4, false)
	case 'U': // SHORT_BINSTRING
		return u.pushString(1, false)
	case 'B': // BINBYTES
		return u.pushString(4, true)
	case 'C': // SHORT_BINBYTES
		return u.pushString(1, true)
	case 'q': // BINPUT
		b, err := u.read(1)
		if err != nil {
			return err
		}
		return u.memoPut(int64(b[0]))
	case 'r': // LONG_BINPUT
		b, err := u.read(4)
		if err != nil {
			return err
		}
		return u.memoPut(int64(binary.LittleEndian.Uint32(b)))
	case 0x94: // MEMOIZE
		return u.memoPut(int64(len(u.memo)))
	case 'h': // BINGET
		b, err := u.read(1)
		if err != nil {
			return err
		}
		return u.memoGet(int64(b[0]))
	case 'j': // LONG_BINGET
		b, err := u.read(4)
		if err != nil {
			return err
		}
		return u.memoGet(int64(binary.LittleEndian.Uint32(b)))
	case 'c': // GLOBAL "module\nname\n"
		mod, err := u.readLine()
		if err != nil {
			return err
		}
		name, err := u.readLine()
		if err != nil {
			return err
		}
		return u.pushGlobal(mod, name)
	case 0x93: // STACK_GLOBAL
		name, err := u.pop()
		if err != nil {
			return err
		}
		mod, err := u.pop()
		if err != nil {
			return err
		}
		ms, ok1 := mod.(string)
		ns, ok2 := name.(string)
		if !ok1 || !ok2 {
			return fmt.Errorf("pickle: STACK_GLOBAL with non-string operands")
		}
		return u.pushGlobal(ms, ns)
	case 't': // TUPLE
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.push(pickleTuple(items))
	case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
		n := int(op - 0x84)
		if len(u.stack) < n {
			return fmt.Errorf("pickle stack underflow at byte %d", u.pos)
		}
		items := append(pickleTuple(nil), u.stack[len(u.stack)-n:]...)
		for _, it := range items {
			if _, ok := it.(pickleMark); ok {
				return fmt.Errorf("pickle: MARK inside TUPLE%d", n)
			}
		}
		u.stack = u.stack[:len(u.stack)-n]
		return u.push(items)
	case 'l': // LIST
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.push(&pickleList{items: items})
	case 'd': // DICT
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.pushDict(items)
	case 'a': // APPEND
		v, err := u.pop()
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		l, ok := t.(*pickleList)
		if !ok {
			return fmt.Errorf("pickle: APPEND to %T", t)
		}
		l.items = append(l.items, v)
		return nil
	case 'e', 0x90: // APPENDS, ADDITEMS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		l, ok := t.(*pickleList)
		if !ok {
			return fmt.Errorf("pickle: APPENDS to %T", t)
		}
		l.items = append(l.items, items...)
		return nil
	case 's': // SETITEM
		v, err := u.pop()
		if err != nil {
			return err
		}
		k, err := u.pop()
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		return setItem(t, k, v)
	case 'u': // SETITEMS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		if len(items)%2 != 0 {
			return fmt.Errorf("pickle: SETITEMS with an odd number of items")
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		for i := 0; i < len(items); i += 2 {
			if err := setItem(t, items[i], items[i+1]); err != nil {
				return err
			}
		}
		return nil
	case 'Q': // BINPERSID
		pid, err := u.pop()
		if err != nil {
			return err
		}
		t, ok := pid.(pickleTuple)
		if !ok || u.persistentLoad == nil {
			return fmt.Errorf("pickle: unsupported persistent id %T", pid)
		}
		v, err := u.persistentLoad(t)
		if err != nil {
			return err
		}
		return u.push(v)
	case 'R': // REDUCE
		args, err := u.pop()
		if err != nil {
			return err
		}
		fn, err := u.pop()
		if err != nil {
			return err
		}
		return u.reduce(fn, args)
	case 0x81: // NEWOBJ
		args, err := u.pop()
		if err != nil {
			return err
		}
		cls, err := u.pop()
		if err != nil {
			return err
		}
		return u.reduce(cls, args)
	case 'b': // BUILD
		state, err := u.pop()
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		switch obj := t.(type) {
		case *reduceCall:
			obj.state = state
		case *pickleDict, *tensorRef:
			// OrderedDict state or tensor hooks: nothing Graft needs.
		default:
			return fmt.Errorf("pickle: BUILD on %T", t)
		}
		return nil
	}
	return fmt.Errorf("pickle: unsupported opcode 0x%02x at byte %d", op, u.pos-1)
}

func (u *unpickler) pushLong(n int) error {
	b, err := u.read(n)
	if err != nil {
		return err
	}
	if n == 0 {
		return u.push(int64(0))
	}
	// little-endian two's complement
	be := make([]byte, n)
	for i := range b {
		be[n-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[n-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	if !v.IsInt64() {
		return u.push(v)
	}
	return u.push(v.Int64())
}

func (u *unpickler) pushString(lenBytes int, raw bool) error {
	b, err := u.read(lenBytes)
	if err != nil {
		return err
	}
	var n uint64
	switch lenBytes {
	case 1:
		n = uint64(b[0])
	case 4:
		n = uint64(binary.LittleEndian.Uint32(b))
	case 8:
		n = binary.LittleEndian.Uint64(b)
	}
	if n > uint64(len(u.data)-u.pos) {
		return fmt.Errorf("pickle truncated: string of %d bytes at byte %d", n, u.pos)
	}
	s, err := u.read(int(n))
	if err != nil {
		return err
	}
	if raw {
		return u.push(append([]byte(nil), s...))
	}
	return u.push(string(s))
}

func (u *unpickler) memoPut(k int64) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	u.memo[k] = v
	return nil
}

func (u *unpickler) memoGet(k int64) error {
	v, ok := u.memo[k]
	if !ok {
		return fmt.Errorf("pickle: memo key %d not found", k)
	}
	return u.push(v)
}

func (u *unpickler) pushGlobal(mod, name string) error {
	full := mod + "." + name
	if mod == "torch" {
		if _, ok := storageDTypes[name]; ok {
			return u.push(pickleGlobal{mod, name})
		}
	}
	if !allowedGlobals[full] {
		return fmt.Errorf("pickle: refusing to load global %s (only tensors and plain containers are rebuilt)", full)
	}
	return u.push(pickleGlobal{mod, name})
}

func (u *unpickler) pushDict(items []any) error {
	if len(items)%2 != 0 {
		return fmt.Errorf("pickle: DICT with an odd number of items")
	}
	d := newDict()
	for i := 0; i < len(items); i += 2 {
		if err := d.set(items[i], items[i+1]); err != nil {
			return err
		}
	}
	return u.push(d)
}

func setItem(t, k, v any) error {
	switch obj := t.(type) {
	case *pickleDict:
		return obj.set(k, v)
	case *reduceCall:
		// OrderedDict built by REDUCE: items arrive with SETITEMS.
		if obj.fn.module == "collections" && obj.fn.name == "OrderedDict" {
			if obj.state == nil {
				obj.state = newDict()
			}
			if d, ok := obj.state.(*pickleDict); ok {
				return d.set(k, v)
			}
		}
	}
	return fmt.Errorf("pickle: SETITEM on %T", t)
}

// reduce applies an allowed global to its arguments.
func (u *unpickler) reduce(fnv, argv any) error {
	fn, ok := fnv.(pickleGlobal)
	if !ok {
		return fmt.Errorf("pickle: REDUCE on %T", fnv)
	}
	args, ok := argv.(pickleTuple)
	if !ok {
		return fmt.Errorf("pickle: REDUCE arguments are %T, not a tuple", argv)
	}
	switch fn.module + "." + fn.name {
	case "collections.OrderedDict":
		return u.push(newDict())
	case "builtins.set", "__builtin__.set":
		l := &pickleList{}
		if len(args) == 1 {
			if src, ok := args[0].(*pickleList); ok {
				l.items = append(l.items, src.items...)
			}
		}
		return u.push(l)
	case "torch.Size":
		if len(args) == 1 {
			return u.push(args[0])
		}
		return u.push(pickleTuple{})
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
		t, err := rebuildTensor(args)
		if err != nil {
			return err
		}
		return u.push(t)
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_v2", "torch.nn.parameter.Parameter":
		if len(args) < 1 {
			return fmt.Errorf("pickle: %s without arguments", fn.name)
		}
		t, ok := args[0].(*tensorRef)
		if !ok {
			return fmt.Errorf("pickle: %s of %T", fn.name, args[0])
		}
		return u.push(t)
	}
	return fmt.Errorf("pickle: refusing to call %s.%s", fn.module, fn.name)
}

// rebuildTensor handles _rebuild_tensor_v2(storage, offset, size, stride, ...).
func rebuildTensor(args pickleTuple) (*tensorRef, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("pickle: _rebuild_tensor with %d arguments", len(args))
	}
	st, ok := args[0].(*storageRef)
	if !ok {
		return nil, fmt.Errorf("pickle: tensor storage is %T", args[0])
	}
	off, ok := args[1].(int64)
	if !ok || off < 0 {
		return nil, fmt.Errorf("pickle: bad tensor storage offset %v", args[1])
	}
	size, err := intTuple(args[2])
	if err != nil {
		return nil, fmt.Errorf("pickle: tensor size: %w", err)
	}
	stride, err := intTuple(args[3])
	if err != nil {
		return nil, fmt.Errorf("pickle: tensor stride: %w", err)
	}
	if len(size) != len(stride) {
		return nil, fmt.Errorf("pickle: tensor size %v and stride %v differ in rank", size, stride)
	}
	return &tensorRef{storage: st, offset: off, size: size, stride: stride}, nil
}

func intTuple(v any) ([]int64, error) {
	t, ok := v.(pickleTuple)
	if !ok {
		return nil, fmt.Errorf("%T is not a tuple", v)
	}
	out := make([]int64, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok || n < 0 {
			return nil, fmt.Errorf("element %d is %v", i, x)
		}
		out[i] = n
	}
	return out, nil
}
