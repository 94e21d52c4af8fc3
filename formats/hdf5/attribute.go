package hdf5

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
)

// Attribute is a decoded attribute: its name, type, shape and raw value.
type Attribute struct {
	// Name is the attribute's name.
	Name  string
	f     *File
	path  string // owner path, for errors
	dt    *datatype
	space *dataspace
	data  []byte
}

// Attr returns the named attribute of the object.
func (n *node) Attr(name string) (*Attribute, error) {
	attrs, err := n.attrs(name)
	if err != nil {
		return nil, n.f.wrap(n.path, err)
	}
	if len(attrs) == 0 {
		return nil, n.f.wrap(n.path, fmt.Errorf("attribute %q: %w", name, errNotFound))
	}
	return attrs[0], nil
}

// AttrNames returns the names of the object's attributes, sorted.
func (n *node) AttrNames() ([]string, error) {
	attrs, err := n.attrs("")
	if err != nil {
		return nil, n.f.wrap(n.path, err)
	}
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.Name
	}
	sort.Strings(names)
	return names, nil
}

// attrs decodes the attributes named name, or all of them when name is "".
func (n *node) attrs(name string) ([]*Attribute, error) {
	var out []*Attribute
	for _, m := range n.hdr.msgs {
		if m.typ != msgAttribute {
			continue
		}
		a, err := n.f.parseAttribute(m.data, n.path)
		if err != nil {
			return nil, err
		}
		if name == "" || a.Name == name {
			out = append(out, a)
		}
	}
	if m := n.hdr.find(msgAttrInfo); m != nil {
		dense, err := n.f.denseAttrs(m.data, n.path, name)
		if err != nil {
			return nil, err
		}
		out = append(out, dense...)
	}
	return out, nil
}

func (f *File) denseAttrs(msg []byte, path, name string) ([]*Attribute, error) {
	d := f.decoder(msg)
	if v := d.u8(); v != 0 {
		return nil, fmt.Errorf("attribute info version %d", v)
	}
	if flags := d.u8(); flags&1 != 0 {
		d.skip(2)
	}
	heapAddr, nameIndex := d.addr(), d.addr()
	if d.err != nil {
		return nil, fmt.Errorf("attribute info message: %w", d.err)
	}
	if heapAddr == undefAddr {
		return nil, nil
	}
	heap, err := f.openFractalHeap(heapAddr)
	if err != nil {
		return nil, fmt.Errorf("attribute heap: %w", err)
	}
	t, err := f.openBTree2(nameIndex, 8)
	if err != nil {
		return nil, fmt.Errorf("attribute name index: %w", err)
	}
	if t.recSize < 9 {
		return nil, errors.New("attribute name index records too small")
	}
	idLen := t.recSize - 9
	var out []*Attribute
	err = t.walk(func(rec []byte) error {
		if rec[idLen]&0x01 != 0 {
			return errors.New("shared attributes are not supported")
		}
		obj, err := heap.object(rec[:idLen])
		if err != nil {
			return fmt.Errorf("dense attribute: %w", err)
		}
		a, err := f.parseAttribute(obj, path)
		if err != nil {
			return err
		}
		if name == "" || a.Name == name {
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

func (f *File) parseAttribute(b []byte, path string) (*Attribute, error) {
	d := f.decoder(b)
	ver := d.u8()
	flags := d.u8()
	nameSize := int(d.u16())
	typeSize := int(d.u16())
	spaceSize := int(d.u16())
	pad := func(n int) int { return n }
	switch ver {
	case 1:
		pad = func(n int) int { return (n + 7) &^ 7 }
	case 2:
	case 3:
		d.skip(1) // name charset
	default:
		return nil, fmt.Errorf("attribute message version %d", ver)
	}
	if ver == 1 {
		flags = 0
	}
	nameB := d.take(pad(nameSize))
	typeB := d.take(pad(typeSize))
	spaceB := d.take(pad(spaceSize))
	if d.err != nil {
		return nil, fmt.Errorf("attribute message: %w", d.err)
	}
	nameB = nameB[:nameSize]
	if i := bytes.IndexByte(nameB, 0); i >= 0 {
		nameB = nameB[:i]
	}
	a := &Attribute{Name: string(nameB), f: f, path: path}
	var err error
	typeB, err = f.sharedBody(typeB[:typeSize], flags&1 != 0, msgDatatype)
	if err != nil {
		return nil, fmt.Errorf("attribute %q datatype: %w", a.Name, err)
	}
	if a.dt, err = parseDatatype(typeB); err != nil {
		return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	spaceB, err = f.sharedBody(spaceB[:spaceSize], flags&2 != 0, msgDataspace)
	if err != nil {
		return nil, fmt.Errorf("attribute %q dataspace: %w", a.Name, err)
	}
	if a.space, err = f.parseDataspace(spaceB); err != nil {
		return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	count, err := a.space.count(uint64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	need, ok := mulCheck(count, uint64(a.dt.size), uint64(len(b)))
	if !ok || need > uint64(d.remaining()) {
		return nil, fmt.Errorf("attribute %q: value of %d x %d bytes runs past its message", a.Name, count, a.dt.size)
	}
	a.data = d.take(int(need))
	return a, nil
}

// sharedBody resolves a datatype or dataspace embedded as a shared message.
func (f *File) sharedBody(b []byte, shared bool, typ uint16) ([]byte, error) {
	if !shared {
		return b, nil
	}
	return f.resolveShared(&message{typ: typ, flags: 0x02, data: b}, 0)
}

// Shape returns the attribute's dimensions; a scalar has none.
func (a *Attribute) Shape() []int { return intDims(a.space.dims) }

// Type returns a short description of the attribute's datatype, such as
// "float32le", "int64le", "string10" or "vlen-string".
func (a *Attribute) Type() string { return a.dt.String() }

func (a *Attribute) errorf(format string, args ...any) error {
	return a.f.errorf(a.path, "attribute %q: %s", a.Name, fmt.Sprintf(format, args...))
}

func (a *Attribute) count() int {
	if len(a.data) == 0 || a.dt.size == 0 {
		return 0
	}
	return len(a.data) / int(a.dt.size)
}

// Strings returns the attribute's value as a list of strings. Fixed-length
// and variable-length strings are supported; a scalar yields one string.
func (a *Attribute) Strings() ([]string, error) {
	n := a.count()
	out := make([]string, 0, n)
	sz := int(a.dt.size)
	for i := 0; i < n; i++ {
		el := a.data[i*sz : (i+1)*sz]
		switch {
		case a.dt.class == classString:
			out = append(out, trimFixedString(el, a.dt.strPad))
		case a.dt.class == classVarLen && a.dt.vlenStr:
			s, err := a.f.vlenBytes(el)
			if err != nil {
				return nil, a.errorf("element %d: %v", i, err)
			}
			out = append(out, string(s))
		default:
			return nil, a.errorf("type %s is not a string", a.dt)
		}
	}
	return out, nil
}

// StringValue returns a scalar (or one-element) string attribute.
func (a *Attribute) StringValue() (string, error) {
	s, err := a.Strings()
	if err != nil {
		return "", err
	}
	if len(s) != 1 {
		return "", a.errorf("holds %d strings, want 1", len(s))
	}
	return s[0], nil
}

// Float64s returns a numeric attribute's values converted to float64.
func (a *Attribute) Float64s() ([]float64, error) {
	out := make([]float64, a.count())
	if err := convertFloat64(out, a.data, a.dt); err != nil {
		return nil, a.errorf("%v", err)
	}
	return out, nil
}

// Int64s returns an integer attribute's values.
func (a *Attribute) Int64s() ([]int64, error) {
	t := a.dt
	if t.class == classEnum {
		t = t.base
	}
	if t.class != classFixed {
		return nil, a.errorf("type %s is not an integer", a.dt)
	}
	sz := int(t.size)
	out := make([]int64, len(a.data)/sz)
	for i := range out {
		out[i] = intValue(a.data[i*sz:(i+1)*sz], t)
	}
	return out, nil
}

// Float64 returns a scalar (or one-element) numeric attribute.
func (a *Attribute) Float64() (float64, error) {
	v, err := a.Float64s()
	if err != nil {
		return 0, err
	}
	if len(v) != 1 {
		return 0, a.errorf("holds %d values, want 1", len(v))
	}
	return v[0], nil
}

// Value returns the attribute as a Go value: string or []string for string
// types, int64 or []int64 for integers, float64 or []float64 for floats.
// Scalars give the single forms.
func (a *Attribute) Value() (any, error) {
	scalar := len(a.space.dims) == 0 && !a.space.null
	switch {
	case a.dt.class == classString || (a.dt.class == classVarLen && a.dt.vlenStr):
		s, err := a.Strings()
		if err != nil || !scalar {
			return s, err
		}
		return s[0], nil
	case a.dt.class == classFixed || a.dt.class == classEnum:
		v, err := a.Int64s()
		if err != nil || !scalar {
			return v, err
		}
		return v[0], nil
	case a.dt.class == classFloat:
		v, err := a.Float64s()
		if err != nil || !scalar {
			return v, err
		}
		return v[0], nil
	}
	return nil, a.errorf("type %s is not supported", a.dt)
}

func trimFixedString(b []byte, pad uint8) string {
	if pad == 2 {
		return string(bytes.TrimRight(b, " "))
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// vlenBytes reads one variable-length element: a length, then a global heap
// collection address and object index.
func (f *File) vlenBytes(el []byte) ([]byte, error) {
	d := f.decoder(el)
	n := d.u32()
	addr := d.addr()
	idx := d.u32()
	if d.err != nil {
		return nil, fmt.Errorf("variable-length element: %w", d.err)
	}
	if n == 0 {
		return nil, nil
	}
	obj, err := f.globalHeapObject(addr, idx)
	if err != nil {
		return nil, err
	}
	if uint64(n) > uint64(len(obj)) {
		return nil, fmt.Errorf("variable-length string of %d bytes in a %d-byte heap object", n, len(obj))
	}
	return obj[:n], nil
}
