package data_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/graft-ml/graft/data"
)

// Example shows the whole path from a folder of images to training
// batches: open, split, weigh classes, load with augmentation.
func Example() {
	root, _ := os.MkdirTemp("", "graft-example")
	defer os.RemoveAll(root)
	for i := range 12 {
		class := []string{"cats", "dogs"}[i%2]
		os.MkdirAll(filepath.Join(root, class), 0o755)
		m := image.NewRGBA(image.Rect(0, 0, 40, 30))
		for p := range m.Pix {
			m.Pix[p] = uint8(i * 20)
		}
		m.Set(0, 0, color.RGBA{255, 0, 0, 255})
		f, _ := os.Create(filepath.Join(root, class, fmt.Sprintf("%02d.png", i)))
		png.Encode(f, m)
		f.Close()
	}
	os.WriteFile(filepath.Join(root, "dogs", "broken.jpg"), []byte("oops"), 0o644)

	ds, err := data.OpenImageFolder(root, data.FolderOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println("classes:", ds.ClassNames(), "images:", ds.Len(), "skipped:", len(ds.Skipped))

	parts, _ := data.StratifiedSplit(ds, 1, 2.0/3, 1.0/3)
	train, _ := data.Subset(ds, parts[0])
	fmt.Println("train:", train.Len(), "val:", len(parts[1]))
	weights, _ := data.ClassWeights(ds, 2)
	fmt.Println("class weights:", weights)

	loader, _ := data.NewLoader(train, data.LoaderOptions{
		BatchSize: 4, Shuffle: true, Seed: 42,
		Transform: data.Transform{
			Pre: data.TorchvisionPreprocess(16),
			Aug: &data.Augment{Crop: &data.RandomResizedCrop{}, HFlip: 0.5},
		},
	})
	it := loader.Epoch(context.Background(), 0)
	defer it.Close()
	for {
		b, err := it.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		fmt.Println("batch", b.Images.Shape, "labels", len(b.Labels))
		b.Release()
	}
	// Output:
	// classes: [cats dogs] images: 12 skipped: 1
	// train: 8 val: 4
	// class weights: [1 1]
	// batch [4 16 16 3] labels 4
	// batch [4 16 16 3] labels 4
}
