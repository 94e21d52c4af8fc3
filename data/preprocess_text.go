package data

import "fmt"

// Names used when the enumerations are written as text (JSON, YAML, flags),
// so saved preprocessing stays readable and stable.
var (
	resizeNames = []string{"shorter-crop", "squash", "center-square"}
	interpNames = []string{"bilinear"}
	orderNames  = []string{"rgb", "bgr"}
	scaleNames  = []string{"unit", "symmetric", "caffe", "mean-std"}
)

func enumText(kind string, names []string, v int) ([]byte, error) {
	if v < 0 || v >= len(names) {
		return nil, fmt.Errorf("data: unknown %s %d", kind, v)
	}
	return []byte(names[v]), nil
}

func enumParse(kind string, names []string, b []byte) (int, error) {
	for i, n := range names {
		if string(b) == n {
			return i, nil
		}
	}
	return 0, fmt.Errorf("data: unknown %s %q (want one of %q)", kind, b, names)
}

// MarshalText writes the policy's name.
func (r ResizePolicy) MarshalText() ([]byte, error) {
	return enumText("resize policy", resizeNames, int(r))
}

// UnmarshalText reads a policy name.
func (r *ResizePolicy) UnmarshalText(b []byte) error {
	v, err := enumParse("resize policy", resizeNames, b)
	*r = ResizePolicy(v)
	return err
}

// MarshalText writes the interpolation's name.
func (i Interpolation) MarshalText() ([]byte, error) {
	return enumText("interpolation", interpNames, int(i))
}

// UnmarshalText reads an interpolation name.
func (i *Interpolation) UnmarshalText(b []byte) error {
	v, err := enumParse("interpolation", interpNames, b)
	*i = Interpolation(v)
	return err
}

// MarshalText writes "rgb" or "bgr".
func (o ChannelOrder) MarshalText() ([]byte, error) {
	return enumText("channel order", orderNames, int(o))
}

// UnmarshalText reads "rgb" or "bgr".
func (o *ChannelOrder) UnmarshalText(b []byte) error {
	v, err := enumParse("channel order", orderNames, b)
	*o = ChannelOrder(v)
	return err
}

// MarshalText writes the scale mode's name.
func (s ScaleMode) MarshalText() ([]byte, error) { return enumText("scale mode", scaleNames, int(s)) }

// UnmarshalText reads a scale mode name.
func (s *ScaleMode) UnmarshalText(b []byte) error {
	v, err := enumParse("scale mode", scaleNames, b)
	*s = ScaleMode(v)
	return err
}
