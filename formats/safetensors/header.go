package safetensors

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"sort"
	"strconv"
)

// metadataKey is the header key that holds free-form string metadata
// rather than a tensor.
const metadataKey = "__metadata__"

// maxHeaderLen caps the JSON header at 100 MiB, as the reference
// implementation does, whatever the file's size.
const maxHeaderLen = 100 << 20

// span is one tensor's header entry after validation; begin and end are
// byte offsets into the data section.
type span struct {
	name       string
	dtype      DType
	shape      []int
	numel      int
	begin, end int64
}

// rawEntry is a tensor's header entry as JSON spells it; pointers tell a
// missing field from an empty one.
type rawEntry struct {
	DType   *string   `json:"dtype"`
	Shape   *[]int64  `json:"shape"`
	Offsets *[]uint64 `json:"data_offsets"`
}

// parseHeader decodes and validates the JSON header of a file whose data
// section is dataLen bytes long. It returns the tensors in data order.
func parseHeader(hdr []byte, dataLen int64, file string) ([]span, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(hdr))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, nil, formatErr(file, "", "header is not a JSON object")
	}
	var spans []span
	var meta map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, formatErr(file, "", "header JSON: %v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, formatErr(file, "", "header JSON: key %v is not a string", tok)
		}
		if seen[name] {
			return nil, nil, formatErr(file, name, "appears twice in the header")
		}
		seen[name] = true
		if name == metadataKey {
			if err := dec.Decode(&meta); err != nil {
				return nil, nil, formatErr(file, "", "__metadata__ is not a map of strings: %v", err)
			}
			continue
		}
		var raw rawEntry
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, formatErr(file, name, "header entry: %v", err)
		}
		s, err := validateEntry(name, raw, dataLen, file)
		if err != nil {
			return nil, nil, err
		}
		spans = append(spans, s)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, nil, formatErr(file, "", "header JSON object is not closed")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, formatErr(file, "", "header has data after its JSON object")
	}
	if err := checkLayout(spans, dataLen, file); err != nil {
		return nil, nil, err
	}
	return spans, meta, nil
}

// validateEntry checks one tensor's dtype, shape and offsets on their own.
func validateEntry(name string, raw rawEntry, dataLen int64, file string) (span, error) {
	s := span{name: name}
	if name == "" {
		return s, formatErr(file, name, "empty tensor name")
	}
	if raw.DType == nil || raw.Shape == nil || raw.Offsets == nil {
		return s, formatErr(file, name, "header entry needs dtype, shape and data_offsets")
	}
	s.dtype = DType(*raw.DType)
	size := s.dtype.Size()
	if size == 0 {
		return s, formatErr(file, name, "unsupported dtype %q", *raw.DType)
	}
	offs := *raw.Offsets
	if len(offs) != 2 {
		return s, formatErr(file, name, "data_offsets has %d values, want 2", len(offs))
	}
	if offs[0] > offs[1] || offs[1] > uint64(dataLen) {
		return s, formatErr(file, name, "data_offsets [%d, %d] outside the %d-byte data section", offs[0], offs[1], dataLen)
	}
	s.begin, s.end = int64(offs[0]), int64(offs[1])
	spanBytes := s.end - s.begin
	// The element count may not exceed what the byte span can hold. The
	// product of the nonzero dimensions must fit in an int64 even when a
	// zero dimension makes the tensor empty, so that no caller multiplying
	// the shape out can overflow.
	limit := spanBytes / int64(size)
	numel, nonzero := int64(1), int64(1)
	s.shape = make([]int, len(*raw.Shape))
	for i, d := range *raw.Shape {
		if d < 0 {
			return s, formatErr(file, name, "negative dimension %d in shape %v", d, *raw.Shape)
		}
		s.shape[i] = int(d)
		if d == 0 {
			numel = 0
			continue
		}
		if nonzero > math.MaxInt64/d {
			return s, formatErr(file, name, "shape %v overflows", *raw.Shape)
		}
		nonzero *= d
	}
	if numel != 0 {
		numel = nonzero
	}
	if numel > limit || numel*int64(size) != spanBytes {
		return s, formatErr(file, name, "shape %v of %s needs %s bytes, data_offsets span %d",
			*raw.Shape, s.dtype, bytesNeeded(*raw.Shape, size), spanBytes)
	}
	s.numel = int(numel)
	return s, nil
}

// bytesNeeded formats shape×size for an error message, saying "too many"
// rather than overflowing.
func bytesNeeded(shape []int64, size int) string {
	n := float64(size)
	for _, d := range shape {
		n *= float64(d)
	}
	if n > math.MaxInt64 {
		return "too many"
	}
	return strconv.FormatInt(int64(n), 10)
}

// checkLayout sorts spans by offset and checks that they tile the data
// section exactly: starting at 0, no overlap, no gap, ending at dataLen.
func checkLayout(spans []span, dataLen int64, file string) error {
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	var pos int64
	for _, s := range spans {
		switch {
		case s.begin < pos:
			return formatErr(file, s.name, "data_offsets [%d, %d] overlap the previous tensor, which ends at %d", s.begin, s.end, pos)
		case s.begin > pos:
			return formatErr(file, s.name, "data_offsets [%d, %d] leave a gap after byte %d", s.begin, s.end, pos)
		}
		pos = s.end
	}
	if pos != dataLen {
		return formatErr(file, "", "tensors cover %d bytes of a %d-byte data section", pos, dataLen)
	}
	return nil
}
