package zoo

import (
	"fmt"
	"math"
	"strings"

	"github.com/graft-ml/graft/data"
)

// specs is the zoo's catalogue, by lower-case name.
var specs = map[string]Spec{}

func register(s Spec) { specs[s.Name] = s }

// torchvisionPreprocess is torchvision's ImageClassification transform:
// resize the shorter side to resize, centre-crop crop, ImageNet mean/std.
func torchvisionPreprocess(crop, resize int) data.Preprocess {
	p := data.TorchvisionPreprocess(crop)
	p.CropRatio = cropRatio(crop, resize)
	return p
}

// cropRatio returns crop/resize, nudged so that data.Preprocess's
// floor(crop/ratio) gives resize exactly.
func cropRatio(crop, resize int) float64 {
	r := float64(crop) / float64(resize)
	for int(math.Floor(float64(crop)/r)) < resize {
		r = math.Nextafter(r, 0)
	}
	return r
}

const torchvisionURL = "https://download.pytorch.org/models/"

// tv is a torchvision weight file whose name embeds the first hex digits
// of its sha256.
func tv(file, hashPrefix, note string) WeightSource {
	return WeightSource{Format: "torchvision", URL: torchvisionURL + file, File: file, Hash: hashPrefix,
		HashKind: "sha256", HashPrefix: true, Top: true, Note: note}
}

// keras is a keras.applications weight file; Keras publishes md5 digests
// (its get_file takes a 32-digit hash as md5), or none.
func keras(base, file, md5 string, top bool, note string) WeightSource {
	s := WeightSource{Format: "keras", URL: base + file, File: file, Hash: md5, Top: top, Note: note}
	if md5 != "" {
		s.HashKind = "md5"
	}
	return s
}

const (
	kerasApps = "https://storage.googleapis.com/tensorflow/keras-applications/"
	kerasEff  = "https://storage.googleapis.com/keras-applications/"
	bicubic   = "torchvision evaluates these weights with bicubic resizing; Graft's preprocessing resizes bilinearly"
)

func init() {
	vggSrc := func(name, tvFile, tvHash, md5Top, md5NoTop string) []WeightSource {
		return []WeightSource{
			tv(tvFile, tvHash, ""),
			keras(kerasApps+name+"/", name+"_weights_tf_dim_ordering_tf_kernels.h5", md5Top, true, "Keras caffe preprocessing (BGR, mean subtracted)"),
			keras(kerasApps+name+"/", name+"_weights_tf_dim_ordering_tf_kernels_notop.h5", md5NoTop, false, "Keras caffe preprocessing (BGR, mean subtracted)"),
		}
	}
	register(Spec{Name: "vgg16", Family: "vgg", DefaultSize: 224, MinSize: 32, Params: 138357544,
		Preprocess: torchvisionPreprocess(224, 256), Keras: "VGG16", build: buildVGG,
		Sources: vggSrc("vgg16", "vgg16-397923af.pth", "397923af", "64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc")})
	register(Spec{Name: "vgg19", Family: "vgg", DefaultSize: 224, MinSize: 32, Params: 143667240,
		Preprocess: torchvisionPreprocess(224, 256), Keras: "VGG19", build: buildVGG,
		Sources: vggSrc("vgg19", "vgg19-dcbb9e9d.pth", "dcbb9e9d", "cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6")})

	const kerasResNetNote = "Keras ResNet is v1 (stride on the first 1x1 convolution, convolution biases): names map, layouts differ from torchvision's v1.5"
	resnet := func(name string, params int, v1, v2 [2]string, kerasName string, md5 [2]string) {
		src := []WeightSource{tv(v1[0], v1[1], "IMAGENET1K_V1")}
		if v2[0] != "" {
			src = append(src, tv(v2[0], v2[1], "IMAGENET1K_V2: evaluate with resize 232, crop 224"))
		}
		if kerasName != "" {
			src = append(src,
				keras(kerasApps+"resnet/", name+"_weights_tf_dim_ordering_tf_kernels.h5", md5[0], true, kerasResNetNote),
				keras(kerasApps+"resnet/", name+"_weights_tf_dim_ordering_tf_kernels_notop.h5", md5[1], false, kerasResNetNote))
		}
		register(Spec{Name: name, Family: "resnet", DefaultSize: 224, MinSize: 1, Params: params,
			Preprocess: torchvisionPreprocess(224, 256), Keras: kerasName, Sources: src, build: buildResNet})
	}
	resnet("resnet18", 11689512, [2]string{"resnet18-f37072fd.pth", "f37072fd"}, [2]string{}, "", [2]string{})
	resnet("resnet34", 21797672, [2]string{"resnet34-b627a593.pth", "b627a593"}, [2]string{}, "", [2]string{})
	resnet("resnet50", 25557032, [2]string{"resnet50-0676ba61.pth", "0676ba61"}, [2]string{"resnet50-11ad3fa6.pth", "11ad3fa6"},
		"ResNet50", [2]string{"2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"})
	resnet("resnet101", 44549160, [2]string{"resnet101-63fe2227.pth", "63fe2227"}, [2]string{"resnet101-cd907fc2.pth", "cd907fc2"},
		"ResNet101", [2]string{"f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"})
	resnet("resnet152", 60192808, [2]string{"resnet152-394f9c45.pth", "394f9c45"}, [2]string{"resnet152-f82ba261.pth", "f82ba261"},
		"ResNet152", [2]string{"100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"})

	// torchvision's Inception V3 weights set transform_input, which turns
	// ImageNet-normalised input into (x-0.5)/0.5; Graft folds that into the
	// preprocessing instead.
	incep := torchvisionPreprocess(299, 342)
	incep.Mean, incep.Std = [3]float32{0.5, 0.5, 0.5}, [3]float32{0.5, 0.5, 0.5}
	register(Spec{Name: "inception_v3", Family: "inception", DefaultSize: 299, MinSize: 75, Params: 23834568,
		Preprocess: incep, Keras: "InceptionV3", build: buildInceptionV3, Sources: []WeightSource{
			tv("inception_v3_google-0cc3c7bd.pth", "0cc3c7bd", "holds AuxLogits.*, which Graft does not build and skips"),
			keras(kerasApps+"inception_v3/", "inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564", true,
				"Keras tf preprocessing; BatchNorm without gamma"),
			keras(kerasApps+"inception_v3/", "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63", false,
				"Keras tf preprocessing; BatchNorm without gamma"),
		}})

	register(Spec{Name: "mobilenet", Family: "mobilenet_v1", DefaultSize: 224, MinSize: 32, Params: 4231976, // Keras: 4,253,864 with the BatchNorm statistics
		Preprocess: data.KerasTFPreprocess(224), Keras: "MobileNet", build: buildMobileNetV1, Sources: []WeightSource{
			keras(kerasApps+"mobilenet/", "mobilenet_1_0_224_tf.h5", "", true, "alpha 1.0 at 224; also 7_5, 5_0, 2_5 and 128/160/192"),
			keras(kerasApps+"mobilenet/", "mobilenet_1_0_224_tf_no_top.h5", "", false, "alpha 1.0 at 224"),
		}})

	const kerasPadNote = "Keras pads stride-2 depthwise convolutions asymmetrically (correct_pad); names map, padding differs from torchvision's"
	register(Spec{Name: "mobilenet_v2", Family: "mobilenet_v2", DefaultSize: 224, MinSize: 1, Params: 3504872,
		Preprocess: torchvisionPreprocess(224, 256), Keras: "MobileNetV2", build: buildMobileNetV2, Sources: []WeightSource{
			tv("mobilenet_v2-b0353104.pth", "b0353104", "IMAGENET1K_V1"),
			tv("mobilenet_v2-7ebf99e0.pth", "7ebf99e0", "IMAGENET1K_V2: evaluate with resize 232, crop 224"),
			keras(kerasApps+"mobilenet_v2/", "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5", "", true, kerasPadNote+"; Keras tf preprocessing"),
			keras(kerasApps+"mobilenet_v2/", "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5", "", false, kerasPadNote+"; Keras tf preprocessing"),
		}})

	const mnv3Note = "Keras's model includes its own rescaling to [-1, 1]; " + kerasPadNote
	register(Spec{Name: "mobilenet_v3_large", Family: "mobilenet_v3", DefaultSize: 224, MinSize: 1, Params: 5483032,
		Preprocess: torchvisionPreprocess(224, 256), Keras: "MobileNetV3Large", build: buildMobileNetV3, Sources: []WeightSource{
			tv("mobilenet_v3_large-8738ca79.pth", "8738ca79", "IMAGENET1K_V1"),
			tv("mobilenet_v3_large-5c1a4163.pth", "5c1a4163", "IMAGENET1K_V2: evaluate with resize 232, crop 224"),
			keras(kerasApps+"mobilenet_v3/", "weights_mobilenet_v3_large_224_1.0_float.h5", "59e551e166be033d707958cf9e29a6a7", true, mnv3Note),
			keras(kerasApps+"mobilenet_v3/", "weights_mobilenet_v3_large_224_1.0_float_no_top_v2.h5", "07fb09a5933dd0c8eaafa16978110389", false, mnv3Note),
		}})
	register(Spec{Name: "mobilenet_v3_small", Family: "mobilenet_v3", DefaultSize: 224, MinSize: 1, Params: 2542856,
		Preprocess: torchvisionPreprocess(224, 256), Keras: "MobileNetV3Small", build: buildMobileNetV3, Sources: []WeightSource{
			tv("mobilenet_v3_small-047dcff4.pth", "047dcff4", "IMAGENET1K_V1"),
			keras(kerasApps+"mobilenet_v3/", "weights_mobilenet_v3_small_224_1.0_float.h5", "8768d4c2e7dee89b9d02b2d03d65d862", true, mnv3Note),
			keras(kerasApps+"mobilenet_v3/", "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5", "d3e8ec802a04aa4fc771ee12a9a9b836", false, mnv3Note),
		}})

	const effNote = "Keras's model includes its own rescaling and normalisation; " + kerasPadNote
	eff := func(v string, params, crop, resize, kerasSize int, tvFile, tvHash string, md5 [2]string, extra ...WeightSource) {
		name := "efficientnet_" + v
		kNote := fmt.Sprintf("%s; Keras's default input is %dx%d", effNote, kerasSize, kerasSize)
		src := append([]WeightSource{tv(tvFile, tvHash, "IMAGENET1K_V1; "+bicubic)}, extra...)
		src = append(src,
			keras(kerasEff, "efficientnet"+v+".h5", md5[0], true, kNote),
			keras(kerasEff, "efficientnet"+v+"_notop.h5", md5[1], false, kNote))
		register(Spec{Name: name, Family: "efficientnet", DefaultSize: crop, MinSize: 1, Params: params,
			Preprocess: torchvisionPreprocess(crop, resize), Keras: "EfficientNet" + strings.ToUpper(v),
			Sources: src, build: buildEfficientNet})
	}
	eff("b0", 5288548, 224, 256, 224, "efficientnet_b0_rwightman-3dd342df.pth", "3dd342df",
		[2]string{"902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"})
	eff("b1", 7794184, 240, 256, 240, "efficientnet_b1_rwightman-533bc792.pth", "533bc792",
		[2]string{"1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"},
		tv("efficientnet_b1-c27df63c.pth", "c27df63c", "IMAGENET1K_V2: evaluate with bilinear resize 255, crop 240"))
	eff("b2", 9109994, 288, 288, 260, "efficientnet_b2_rwightman-bcdf34b7.pth", "bcdf34b7",
		[2]string{"b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"})
	eff("b3", 12233232, 300, 320, 300, "efficientnet_b3_rwightman-cf984f9c.pth", "cf984f9c",
		[2]string{"ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"})
}
