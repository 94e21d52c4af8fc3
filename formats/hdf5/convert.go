package hdf5

import (
	"encoding/binary"
	"fmt"
	"github.com/graft-ml/graft/formats/internal/half"
	"math"
)

// intValue decodes one integer element of type t (size 1, 2, 4 or 8).
func intValue(b []byte, t *datatype) int64 {
	var u uint64
	if t.bigEndian {
		u = beUint(b)
	} else {
		u = leUint(b)
	}
	if t.signed && t.size < 8 {
		shift := 64 - 8*uint(t.size)
		return int64(u<<shift) >> shift
	}
	return int64(u)
}

// numericType returns t's numeric base (enums convert as their integers),
// or an error naming the type.
func numericType(t *datatype) (*datatype, error) {
	if t.class == classEnum && t.base != nil {
		t = t.base
	}
	switch t.class {
	case classFixed:
		return t, nil
	case classFloat:
		if !t.floatOK {
			return nil, fmt.Errorf("float layout of %s is not IEEE", t)
		}
		return t, nil
	}
	return nil, fmt.Errorf("type %s is not numeric", t)
}

// convertFloat32 decodes len(dst) elements of type t from src.
func convertFloat32(dst []float32, src []byte, t *datatype) error {
	t, err := numericType(t)
	if err != nil {
		return err
	}
	sz := int(t.size)
	if len(src) < len(dst)*sz {
		return fmt.Errorf("%d bytes hold fewer than %d elements of %s", len(src), len(dst), t)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if t.bigEndian {
		order = binary.BigEndian
	}
	switch {
	case t.class == classFloat && sz == 4:
		for i := range dst {
			dst[i] = math.Float32frombits(order.Uint32(src[i*4:]))
		}
	case t.class == classFloat && sz == 8:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(order.Uint64(src[i*8:])))
		}
	case t.class == classFloat && sz == 2:
		for i := range dst {
			dst[i] = half.ToFloat32(order.Uint16(src[i*2:]))
		}
	case t.class == classFixed && t.signed:
		for i := range dst {
			dst[i] = float32(intValue(src[i*sz:(i+1)*sz], t))
		}
	case t.class == classFixed:
		for i := range dst {
			dst[i] = float32(uint64(intValue(src[i*sz:(i+1)*sz], t)))
		}
	default:
		return fmt.Errorf("cannot convert %s", t)
	}
	return nil
}

// convertFloat64 decodes len(dst) elements of type t from src.
func convertFloat64(dst []float64, src []byte, t *datatype) error {
	t, err := numericType(t)
	if err != nil {
		return err
	}
	sz := int(t.size)
	if len(src) < len(dst)*sz {
		return fmt.Errorf("%d bytes hold fewer than %d elements of %s", len(src), len(dst), t)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if t.bigEndian {
		order = binary.BigEndian
	}
	switch {
	case t.class == classFloat && sz == 8:
		for i := range dst {
			dst[i] = math.Float64frombits(order.Uint64(src[i*8:]))
		}
	case t.class == classFloat && sz == 4:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(order.Uint32(src[i*4:])))
		}
	case t.class == classFloat && sz == 2:
		for i := range dst {
			dst[i] = float64(half.ToFloat32(order.Uint16(src[i*2:])))
		}
	case t.class == classFixed && t.signed:
		for i := range dst {
			dst[i] = float64(intValue(src[i*sz:(i+1)*sz], t))
		}
	case t.class == classFixed:
		for i := range dst {
			dst[i] = float64(uint64(intValue(src[i*sz:(i+1)*sz], t)))
		}
	default:
		return fmt.Errorf("cannot convert %s", t)
	}
	return nil
}
