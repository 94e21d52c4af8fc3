package optim

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"

	"github.com/graft-ml/graft/tensor"
)

// The optimizer state format, little-endian:
//
//	magic "GRAFTOPT" | uint32 version | uint32 header length | JSON header |
//	float32 buffer data, in header order | uint32 CRC-32 (IEEE) of all before
//
// The JSON header names the optimizer kind, its hyperparameters, the base
// rate, each group's rate ratio, weight decay and parameter names, and for
// each parameter with state its step count and buffers (name and shape).
// Floats in JSON round-trip exactly (shortest representation), buffer data
// is raw bits, so a save and load restores the state bit for bit.
const (
	stateMagic   = "GRAFTOPT"
	stateVersion = 1
	// maxHeader bounds the JSON header a loader will read.
	maxHeader = 64 << 20
)

type stateHeader struct {
	Kind   string          `json:"kind"`
	LR     float64         `json:"lr"`
	Steps  int64           `json:"steps"`
	Config json.RawMessage `json:"config"`
	Groups []groupHeader   `json:"groups"`
	Params []paramHeader   `json:"params"`
}

type groupHeader struct {
	LRScale     float64  `json:"lr_scale"`
	WeightDecay float64  `json:"weight_decay"`
	Params      []string `json:"params"`
}

type paramHeader struct {
	Name    string         `json:"name"`
	Step    int64          `json:"step"`
	Buffers []bufferHeader `json:"buffers"`
}

type bufferHeader struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// encodeState writes c's state with cfg as the hyperparameters.
func (c *core) encodeState(cfg any) ([]byte, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("optim: %s: encode config: %w", c.kind, err)
	}
	h := stateHeader{Kind: c.kind, LR: c.lr, Steps: c.steps, Config: raw, Groups: []groupHeader{}, Params: []paramHeader{}}
	var data [][]float32
	for _, g := range c.groups {
		gh := groupHeader{LRScale: g.lrScale, WeightDecay: g.weightDecay, Params: []string{}}
		for _, p := range g.params {
			gh.Params = append(gh.Params, p.Name)
			st := c.state[p.Name]
			if st == nil {
				continue
			}
			ph := paramHeader{Name: p.Name, Step: st.step, Buffers: []bufferHeader{}}
			names := make([]string, 0, len(st.bufs))
			for name := range st.bufs {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				b := st.bufs[name]
				if len(b) != len(p.Value.Data) {
					return nil, fmt.Errorf("optim: %s: parameter %q: buffer %s has %d elements, value has %d",
						c.kind, p.Name, name, len(b), len(p.Value.Data))
				}
				ph.Buffers = append(ph.Buffers, bufferHeader{Name: name, Shape: append([]int(nil), p.Value.Shape...)})
				data = append(data, b)
			}
			h.Params = append(h.Params, ph)
		}
		h.Groups = append(h.Groups, gh)
	}
	js, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("optim: %s: encode state header: %w", c.kind, err)
	}
	var buf bytes.Buffer
	buf.WriteString(stateMagic)
	buf.Write(binary.LittleEndian.AppendUint32(nil, stateVersion))
	buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(js))))
	buf.Write(js)
	var word [4]byte
	for _, b := range data {
		for _, v := range b {
			binary.LittleEndian.PutUint32(word[:], math.Float32bits(v))
			buf.Write(word[:])
		}
	}
	buf.Write(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(buf.Bytes())))
	return buf.Bytes(), nil
}

// decodedState is a fully validated state, ready to replace c's.
type decodedState struct {
	lr     float64
	steps  int64
	groups []groupHeader
	state  map[string]*paramState
}

// decodeState parses and validates data against c's groups, decoding the
// hyperparameters into cfg. allowed lists the buffer names c's kind keeps.
func (c *core) decodeState(data []byte, cfg any, allowed []string) (*decodedState, error) {
	d, err := c.decode(data, cfg, allowed)
	if err != nil {
		return nil, fmt.Errorf("optim: %s: load state: %w", c.kind, err)
	}
	return d, nil
}

func (c *core) decode(data []byte, cfg any, allowed []string) (*decodedState, error) {
	const fixed = len(stateMagic) + 4 + 4
	if len(data) < fixed+4 {
		return nil, fmt.Errorf("state is %d bytes, too short", len(data))
	}
	if string(data[:len(stateMagic)]) != stateMagic {
		return nil, errors.New("not an optimizer state (bad magic)")
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != stateVersion {
		return nil, fmt.Errorf("unsupported state version %d (want %d)", v, stateVersion)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, fmt.Errorf("checksum mismatch (stored %08x, computed %08x): state is corrupt", sum, got)
	}
	hlen := uint64(binary.LittleEndian.Uint32(data[12:]))
	if hlen > maxHeader || hlen > uint64(len(body)-fixed) {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes available", hlen, len(body)-fixed)
	}
	var h stateHeader
	if err := strictJSON(body[fixed:fixed+int(hlen)], &h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	payload := body[fixed+int(hlen):]
	if h.Kind != c.kind {
		return nil, fmt.Errorf("state is for a %q optimizer", h.Kind)
	}
	if err := checkLR(h.LR); err != nil {
		return nil, err
	}
	if h.Steps < 0 {
		return nil, fmt.Errorf("negative step count %d", h.Steps)
	}
	if err := strictJSON(h.Config, cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.checkGroups(h.Groups); err != nil {
		return nil, err
	}
	params := map[string]*tensor.Tensor{}
	for _, g := range c.groups {
		for _, p := range g.params {
			params[p.Name] = p.Value
		}
	}
	out := &decodedState{lr: h.LR, steps: h.Steps, groups: h.Groups, state: map[string]*paramState{}}
	for _, ph := range h.Params {
		value, ok := params[ph.Name]
		if !ok {
			return nil, fmt.Errorf("state for unknown parameter %q", ph.Name)
		}
		if _, dup := out.state[ph.Name]; dup {
			return nil, fmt.Errorf("parameter %q: state appears twice", ph.Name)
		}
		if ph.Step < 0 {
			return nil, fmt.Errorf("parameter %q: negative step count %d", ph.Name, ph.Step)
		}
		st := &paramState{step: ph.Step, bufs: map[string][]float32{}}
		for _, bh := range ph.Buffers {
			if !slices.Contains(allowed, bh.Name) {
				return nil, fmt.Errorf("parameter %q: unknown buffer %q", ph.Name, bh.Name)
			}
			if _, dup := st.bufs[bh.Name]; dup {
				return nil, fmt.Errorf("parameter %q: buffer %s appears twice", ph.Name, bh.Name)
			}
			if !tensor.EqualShapes(bh.Shape, value.Shape) {
				return nil, fmt.Errorf("parameter %q: buffer %s has shape %v, parameter has %v",
					ph.Name, bh.Name, bh.Shape, value.Shape)
			}
			n := len(value.Data)
			if len(payload) < 4*n {
				return nil, fmt.Errorf("parameter %q: buffer %s: data truncated", ph.Name, bh.Name)
			}
			b := make([]float32, n)
			for i := range b {
				b[i] = math.Float32frombits(binary.LittleEndian.Uint32(payload[4*i:]))
			}
			payload = payload[4*n:]
			st.bufs[bh.Name] = b
		}
		out.state[ph.Name] = st
	}
	if len(payload) != 0 {
		return nil, fmt.Errorf("%d bytes of unexpected data after the buffers", len(payload))
	}
	return out, nil
}

// checkGroups checks that saved groups hold exactly c's parameter names,
// each in the same group, and that their rates are valid.
func (c *core) checkGroups(saved []groupHeader) error {
	if len(saved) != len(c.groups) {
		return fmt.Errorf("state has %d parameter groups, optimizer has %d", len(saved), len(c.groups))
	}
	where := map[string]int{}
	for gi, g := range saved {
		if !finite(g.LRScale) || g.LRScale <= 0 {
			return fmt.Errorf("group %d: invalid lr_scale %v", gi, g.LRScale)
		}
		if !finite(g.WeightDecay) || g.WeightDecay < 0 {
			return fmt.Errorf("group %d: invalid weight_decay %v", gi, g.WeightDecay)
		}
		for _, name := range g.Params {
			if prev, dup := where[name]; dup {
				return fmt.Errorf("parameter %q listed twice (groups %d and %d)", name, prev, gi)
			}
			where[name] = gi
		}
	}
	n := 0
	for gi, g := range c.groups {
		for _, p := range g.params {
			sg, ok := where[p.Name]
			switch {
			case !ok:
				return fmt.Errorf("parameter %q is missing from the state", p.Name)
			case sg != gi:
				return fmt.Errorf("parameter %q is in group %d, state has it in group %d", p.Name, gi, sg)
			}
			n++
		}
	}
	if n != len(where) {
		for name := range where {
			if !c.hasParam(name) {
				return fmt.Errorf("state has parameter %q that the optimizer does not", name)
			}
		}
	}
	return nil
}

func (c *core) hasParam(name string) bool {
	for _, g := range c.groups {
		for _, p := range g.params {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}

// apply replaces c's state with d.
func (c *core) apply(d *decodedState) {
	c.lr = d.lr
	c.steps = d.steps
	for i := range c.groups {
		c.groups[i].lrScale = d.groups[i].LRScale
		c.groups[i].weightDecay = d.groups[i].WeightDecay
	}
	c.state = d.state
}

// strictJSON decodes one JSON value, rejecting unknown fields and trailing
// data.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// State serialises the SGD optimizer's state.
func (o *SGD) State() ([]byte, error) {
	cfg := o.cfg
	cfg.LR = o.lr
	return o.encodeState(cfg)
}

// LoadState restores a state written by State.
func (o *SGD) LoadState(data []byte) error {
	var cfg SGDConfig
	d, err := o.decodeState(data, &cfg, []string{"momentum_buffer"})
	if err == nil {
		cfg.LR = d.lr
		if err = cfg.validate(); err != nil {
			err = fmt.Errorf("optim: %s: load state: config: %w", o.kind, err)
		}
	}
	if err != nil {
		return err
	}
	o.cfg = cfg
	o.apply(d)
	return nil
}

// State serialises the Adam or AdamW optimizer's state.
func (o *Adam) State() ([]byte, error) {
	cfg := o.cfg
	cfg.LR = o.lr
	return o.encodeState(cfg)
}

// LoadState restores a state written by State.
func (o *Adam) LoadState(data []byte) error {
	var cfg AdamConfig
	d, err := o.decodeState(data, &cfg, []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"})
	if err == nil {
		cfg.LR = d.lr
		if err = cfg.validate(); err != nil {
			err = fmt.Errorf("optim: %s: load state: config: %w", o.kind, err)
		}
	}
	if err != nil {
		return err
	}
	o.cfg = cfg
	o.apply(d)
	return nil
}

// State serialises the RMSprop optimizer's state.
func (o *RMSprop) State() ([]byte, error) {
	cfg := o.cfg
	cfg.LR = o.lr
	return o.encodeState(cfg)
}

// LoadState restores a state written by State.
func (o *RMSprop) LoadState(data []byte) error {
	var cfg RMSpropConfig
	d, err := o.decodeState(data, &cfg, []string{"square_avg", "grad_avg", "momentum_buffer"})
	if err == nil {
		cfg.LR = d.lr
		if err = cfg.validate(); err != nil {
			err = fmt.Errorf("optim: %s: load state: config: %w", o.kind, err)
		}
	}
	if err != nil {
		return err
	}
	o.cfg = cfg
	o.apply(d)
	return nil
}
