package hdf5_test

import (
	"fmt"
	"log"

	"github.com/graft-ml/graft/formats/hdf5"
)

// Reading a Keras weight file: the layer list, then one layer's weights.
func Example() {
	f, err := hdf5.Open("testdata/weights_earliest.h5")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	root, err := f.Root()
	if err != nil {
		log.Fatal(err)
	}
	attr, err := root.Attr("layer_names")
	if err != nil {
		log.Fatal(err)
	}
	layers, err := attr.Strings()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("layers:", layers)
	kernel, err := root.Dataset("dense/vars/0")
	if err != nil {
		log.Fatal(err)
	}
	w, err := kernel.ReadFloat32()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(kernel.Type(), kernel.Shape(), len(w))
	// Output:
	// layers: [conv2d batch_normalization flatten dense]
	// float32le [16 5] 80
}
