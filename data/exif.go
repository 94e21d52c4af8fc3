package data

import "encoding/binary"

// jpegOrientation returns the EXIF Orientation (1–8) of JPEG data, read
// from the IFD0 of its APP1 "Exif" segment, or 1 when there is none or it
// cannot be read. It never reads outside b.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	p := 2
	for p+4 <= len(b) {
		if b[p] != 0xFF {
			return 1
		}
		marker := b[p+1]
		if marker == 0xFF { // fill byte
			p++
			continue
		}
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 {
			p += 2
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan or end: no more metadata
			return 1
		}
		segLen := int(binary.BigEndian.Uint16(b[p+2:]))
		if segLen < 2 || p+2+segLen > len(b) {
			return 1
		}
		seg := b[p+4 : p+2+segLen]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		p += 2 + segLen
	}
	return 1
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF structure, returning
// 0 when absent or invalid.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0
	}
	n := int64(bo.Uint16(t[off:]))
	entries := off + 2
	for i := int64(0); i < n; i++ {
		e := entries + 12*i
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		typ, count := bo.Uint16(t[e+2:]), bo.Uint32(t[e+4:])
		var v int
		switch {
		case typ == 3 && count >= 1: // SHORT, stored in the first two bytes of the value field
			v = int(bo.Uint16(t[e+8:]))
		case typ == 4 && count >= 1: // LONG, tolerated
			v = int(bo.Uint32(t[e+8:]))
		default:
			return 0
		}
		if v < 1 || v > 8 {
			return 0
		}
		return v
	}
	return 0
}
