package hdf5

import (
	"errors"
	"fmt"
	"strings"
)

// Object is a group or a dataset.
type Object interface {
	// Path returns the object's absolute path in the file, "/" for the root.
	Path() string
	// Attr returns the named attribute.
	Attr(name string) (*Attribute, error)
	// AttrNames returns the names of the object's attributes, sorted.
	AttrNames() ([]string, error)
}

// node is what groups and datasets share.
type node struct {
	f    *File
	path string
	hdr  *objectHeader
}

// Path returns the object's absolute path in the file.
func (n *node) Path() string { return n.path }

// File returns the file the object belongs to.
func (n *node) File() *File { return n.f }

// Group is an HDF5 group.
type Group struct{ node }

// Root returns the root group.
func (f *File) Root() (*Group, error) {
	h, err := f.header(f.rootAdr)
	if err != nil {
		return nil, f.wrap("/", err)
	}
	return &Group{node{f: f, path: "/", hdr: h}}, nil
}

// Lookup returns the object at an absolute or root-relative path such as
// "model_weights/dense/dense/kernel:0".
func (f *File) Lookup(path string) (Object, error) {
	g, err := f.Root()
	if err != nil {
		return nil, err
	}
	return g.Lookup(path)
}

// Members returns the names of the group's members, sorted.
func (g *Group) Members() ([]string, error) {
	ls, err := g.f.links(g.hdr)
	if err != nil {
		return nil, g.f.wrap(g.path, err)
	}
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.name
	}
	return names, nil
}

// Group returns the member group at a relative path.
func (g *Group) Group(path string) (*Group, error) {
	o, err := g.Lookup(path)
	if err != nil {
		return nil, err
	}
	sub, ok := o.(*Group)
	if !ok {
		return nil, g.f.errorf(o.Path(), "not a group")
	}
	return sub, nil
}

// Dataset returns the member dataset at a relative path.
func (g *Group) Dataset(path string) (*Dataset, error) {
	o, err := g.Lookup(path)
	if err != nil {
		return nil, err
	}
	ds, ok := o.(*Dataset)
	if !ok {
		return nil, g.f.errorf(o.Path(), "not a dataset")
	}
	return ds, nil
}

// maxLinkHops bounds soft-link resolution.
const maxLinkHops = 32

// Lookup returns the object at path, relative to g unless it starts with "/".
func (g *Group) Lookup(path string) (Object, error) {
	return g.lookup(path, 0)
}

func (g *Group) lookup(path string, hops int) (Object, error) {
	cur := g
	if strings.HasPrefix(path, "/") {
		root, err := g.f.Root()
		if err != nil {
			return nil, err
		}
		cur = root
	}
	parts := strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
	if len(parts) == 0 {
		return cur, nil
	}
	var obj Object = cur
	for _, name := range parts {
		grp, ok := obj.(*Group)
		if !ok {
			return nil, g.f.errorf(obj.Path(), "not a group, cannot look up %q", name)
		}
		if name == "." {
			continue
		}
		l, err := grp.link(name)
		if err != nil {
			return nil, err
		}
		childPath := joinPath(grp.path, name)
		switch l.kind {
		case linkHard:
			obj, err = g.f.open(childPath, l.addr)
			if err != nil {
				return nil, err
			}
		case linkSoft:
			if hops >= maxLinkHops {
				return nil, g.f.errorf(childPath, "too many soft links (cycle?)")
			}
			obj, err = grp.lookup(l.target, hops+1)
			if err != nil {
				return nil, err
			}
		default:
			return nil, g.f.errorf(childPath, "external links are not supported")
		}
	}
	return obj, nil
}

func (g *Group) link(name string) (link, error) {
	ls, err := g.f.links(g.hdr)
	if err != nil {
		return link{}, g.f.wrap(g.path, err)
	}
	for _, l := range ls {
		if l.name == name {
			return l, nil
		}
	}
	return link{}, g.f.wrap(joinPath(g.path, name), errNotFound)
}

// errNotFound reports a missing group member or attribute.
var errNotFound = errors.New("not found")

// IsNotFound reports whether err says a member or attribute does not exist.
func IsNotFound(err error) bool { return errors.Is(err, errNotFound) }

func joinPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// open builds a Group or Dataset for the object header at addr.
func (f *File) open(path string, addr uint64) (Object, error) {
	h, err := f.header(addr)
	if err != nil {
		return nil, f.wrap(path, err)
	}
	n := node{f: f, path: path, hdr: h}
	if h.find(msgLayout) != nil {
		ds, err := newDataset(n)
		if err != nil {
			return nil, f.wrap(path, err)
		}
		return ds, nil
	}
	if h.find(msgSymbolTable) != nil || h.find(msgLinkInfo) != nil || h.find(msgLink) != nil || h.find(msgGroupInfo) != nil {
		return &Group{n}, nil
	}
	if m := h.find(msgDatatype); m != nil {
		dt, err := parseDatatype(m.data)
		if err != nil {
			return nil, f.wrap(path, err)
		}
		return &NamedType{node: n, dt: dt}, nil
	}
	return &Group{n}, nil // an object with no group or dataset messages: an empty group
}

// Walk calls fn for g and every object below it, depth first, in name
// order. Each object is visited once even when several links reach it.
func (g *Group) Walk(fn func(Object) error) error {
	seen := map[uint64]bool{g.hdr.addr: true}
	if err := fn(g); err != nil {
		return err
	}
	return g.walk(fn, seen, 0)
}

func (g *Group) walk(fn func(Object) error, seen map[uint64]bool, depth int) error {
	if depth > 256 {
		return g.f.errorf(g.path, "groups nested too deep")
	}
	ls, err := g.f.links(g.hdr)
	if err != nil {
		return g.f.wrap(g.path, err)
	}
	for _, l := range ls {
		if l.kind != linkHard || seen[l.addr] {
			continue
		}
		seen[l.addr] = true
		o, err := g.f.open(joinPath(g.path, l.name), l.addr)
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
		if sub, ok := o.(*Group); ok {
			if err := sub.walk(fn, seen, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// NamedType is a committed datatype: a datatype stored as an object so
// datasets and attributes can share it.
type NamedType struct {
	node
	dt *datatype
}

// Type returns a short description of the datatype, such as "float64le".
func (t *NamedType) Type() string { return t.dt.String() }

// String describes the object for debugging.
func (n *node) String() string { return fmt.Sprintf("%s:%s", n.f.name, n.path) }
