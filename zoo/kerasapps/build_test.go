package kerasapps

import (
	"testing"
)

// TestParamCounts checks each architecture's weight count (learned and
// BatchNorm statistics) against Keras's model.count_params() for the
// default options with the top (-short skips the models above 30M).
func TestParamCounts(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  Options
		want int
	}{
		{"vgg16", Options{IncludeTop: true}, 138357544},
		{"vgg19", Options{IncludeTop: true}, 143667240},
		{"resnet50", Options{IncludeTop: true}, 25636712},
		{"resnet101", Options{IncludeTop: true}, 44707176},
		{"resnet152", Options{IncludeTop: true}, 60419944},
		{"inception_v3", Options{IncludeTop: true}, 23851784},
		{"inception_v3", Options{}, 21802784},
		{"mobilenet", Options{IncludeTop: true}, 4253864},
		{"mobilenet_v2", Options{IncludeTop: true}, 3538984},
		{"resnet50", Options{}, 23587712},
		{"vgg16", Options{}, 14714688},
		{"mobilenet_v2", Options{}, 2257984},
		{"mobilenet", Options{}, 3228864},
		{"mobilenet_v3_small", Options{IncludeTop: true}, 2554968},
		{"mobilenet_v3_large", Options{IncludeTop: true}, 5507432},
		{"mobilenet_v3_small", Options{}, 939120},
		{"efficientnet_b0", Options{IncludeTop: true}, 5330571},
		{"efficientnet_b1", Options{IncludeTop: true}, 7856239},
		{"efficientnet_b2", Options{IncludeTop: true}, 9177569},
		{"efficientnet_b3", Options{IncludeTop: true}, 12320535},
		{"efficientnet_b0", Options{}, 4049571},
	} {
		if testing.Short() && c.want > 30000000 {
			continue // -short skips the largest models (VGG with its top, ResNet101/152)
		}
		m, err := Build(c.name, c.opt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := 0
		for _, l := range m.Net.Layers {
			got += l.Params
		}
		if got != c.want {
			t.Errorf("%s top=%v: %d weights, Keras has %d", c.name, c.opt.IncludeTop, got, c.want)
		}
	}
}
