package data

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePNG writes a w×h PNG filled with one grey value.
func writePNG(t *testing.T, path string, w, h int, v uint8) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = v
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, m); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImageFolder(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "dog", "b.png"), 4, 3, 20)
	writePNG(t, filepath.Join(root, "dog", "a.png"), 4, 3, 10)
	writePNG(t, filepath.Join(root, "dog", "nested", "c.png"), 4, 3, 30)
	writePNG(t, filepath.Join(root, "cat", "x.png"), 5, 5, 200)
	writePNG(t, filepath.Join(root, "cat", ".hidden.png"), 5, 5, 1)
	writePNG(t, filepath.Join(root, ".git", "y.png"), 5, 5, 1)
	writeFile(t, filepath.Join(root, "cat", "broken.jpg"), "garbage")
	writeFile(t, filepath.Join(root, "cat", "notes.txt"), "hello")
	writeFile(t, filepath.Join(root, "README"), "top-level file")

	d, err := OpenImageFolder(root, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.ClassNames(), ","); got != "cat,dog" {
		t.Fatalf("classes %q, want cat,dog", got)
	}
	if d.Len() != 4 {
		t.Fatalf("%d images, want 4: %v", d.Len(), d.Paths)
	}
	wantLabels := []int{0, 1, 1, 1}
	wantGrey := []uint8{200, 10, 20, 30}
	var img RGB
	for i := range 4 {
		if d.Label(i) != wantLabels[i] {
			t.Errorf("image %d (%s) label %d, want %d", i, d.Paths[i], d.Label(i), wantLabels[i])
		}
		if err := d.Load(i, &img); err != nil {
			t.Fatal(err)
		}
		if r, g, b := img.At(0, 0); r != wantGrey[i] || g != wantGrey[i] || b != wantGrey[i] {
			t.Errorf("image %d pixel %d,%d,%d want grey %d", i, r, g, b, wantGrey[i])
		}
	}
	if len(d.Skipped) != 3 {
		t.Fatalf("skipped %v, want broken.jpg, notes.txt and README", d.Skipped)
	}
	reasons := map[string]string{}
	for _, s := range d.Skipped {
		reasons[filepath.Base(s.Path)] = s.Reason
	}
	if !strings.Contains(reasons["broken.jpg"], "header") || !strings.Contains(reasons["notes.txt"], "extension") ||
		!strings.Contains(reasons["README"], "class folder") {
		t.Errorf("reasons %q", reasons)
	}
}

func TestImageFolderFullVerify(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "a", "1.png"), 8, 8, 5)
	writePNG(t, filepath.Join(root, "b", "1.png"), 8, 8, 5)
	good, _ := os.ReadFile(filepath.Join(root, "b", "1.png"))
	// A PNG with a valid header but truncated data passes the header check only.
	os.WriteFile(filepath.Join(root, "b", "2.png"), good[:len(good)-20], 0o644)
	d, err := OpenImageFolder(root, FolderOptions{})
	if err != nil || d.Len() != 3 {
		t.Fatalf("header verify: %v, %d images, want 3", err, d.Len())
	}
	d, err = OpenImageFolder(root, FolderOptions{Verify: VerifyFull})
	if err != nil || d.Len() != 2 || len(d.Skipped) != 1 {
		t.Fatalf("full verify: %v, %d images and skipped %v, want 2 and one", err, d.Len(), d.Skipped)
	}
}

func TestImageFolderErrors(t *testing.T) {
	root := t.TempDir()
	cases := []struct {
		setup func(dir string)
		want  string
	}{
		{func(dir string) { os.RemoveAll(dir) }, "does not exist"},
		{func(dir string) {}, "no class sub-folders"},
		{func(dir string) { writePNG(t, filepath.Join(dir, "only", "a.png"), 2, 2, 0) }, "single class"},
		{func(dir string) {
			writePNG(t, filepath.Join(dir, "a", "a.png"), 2, 2, 0)
			os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
		}, `"empty"`},
		{func(dir string) {
			writeFile(t, filepath.Join(dir, "a", "x.txt"), "")
			writeFile(t, filepath.Join(dir, "b", "y.jpg"), "bad")
		}, "no readable images"},
	}
	for i, c := range cases {
		dir := filepath.Join(root, string(rune('a'+i)))
		os.MkdirAll(dir, 0o755)
		c.setup(dir)
		_, err := OpenImageFolder(dir, FolderOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: err = %v, want one containing %s", i, err, c.want)
		}
	}
	file := filepath.Join(root, "file.png")
	writePNG(t, file, 2, 2, 0)
	if _, err := OpenImageFolder(file, FolderOptions{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as root: err = %v", err)
	}
}

func TestCSVManifest(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "imgs", "a.png"), 3, 3, 11)
	writePNG(t, filepath.Join(root, "imgs", "b.png"), 3, 3, 22)
	abs := filepath.Join(root, "elsewhere", "c.png")
	writePNG(t, abs, 3, 3, 33)
	manifest := filepath.Join(root, "sub", "..", "train.csv")
	writeFile(t, filepath.Join(root, "train.csv"), "path,label\nimgs/a.png,10\nimgs/b.png, 2\n"+abs+",10\nimgs/missing.png,2\n")
	d, err := OpenCSV(manifest, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.ClassNames(), ","); got != "2,10" {
		t.Fatalf("classes %q, want numeric order 2,10", got)
	}
	if d.Len() != 3 || len(d.Skipped) != 1 || !strings.Contains(d.Skipped[0].Path, "missing.png") {
		t.Fatalf("%d images, skipped %v; want 3 and missing.png", d.Len(), d.Skipped)
	}
	wantLabels, wantGrey := []int{1, 0, 1}, []uint8{11, 22, 33}
	var img RGB
	for i := range 3 {
		if err := d.Load(i, &img); err != nil {
			t.Fatal(err)
		}
		if r, _, _ := img.At(1, 1); r != wantGrey[i] || d.Label(i) != wantLabels[i] {
			t.Errorf("row %d: grey %d label %d, want %d %d", i, r, d.Label(i), wantGrey[i], wantLabels[i])
		}
	}
	// No header, string labels.
	writeFile(t, filepath.Join(root, "b.csv"), "imgs/a.png,zebra\nimgs/b.png,ant\n")
	d, err = OpenCSV(filepath.Join(root, "b.csv"), FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 2 || d.ClassNames()[0] != "ant" || d.Label(0) != 1 {
		t.Fatalf("headerless: %d images, classes %v, label0 %d", d.Len(), d.ClassNames(), d.Label(0))
	}
	for name, content := range map[string]string{"one.csv": "imgs/a.png,x\nimgs/b.png,x\n", "empty.csv": "path,label\n", "short.csv": "imgs/a.png\n"} {
		writeFile(t, filepath.Join(root, name), content)
		if _, err := OpenCSV(filepath.Join(root, name), FolderOptions{}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want an error naming the file", name, err)
		}
	}
	if _, err := OpenCSV(filepath.Join(root, "nope.csv"), FolderOptions{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing manifest: err = %v", err)
	}
}

func TestIDXDataset(t *testing.T) {
	images := &IDX{Type: IDXUint8, Dims: []int{3, 2, 2}, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}
	labels := &IDX{Type: IDXUint8, Dims: []int{3}, Data: []byte{0, 2, 1}}
	d, err := NewIDXDataset(images, labels, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 || d.Label(1) != 2 || len(d.ClassNames()) != 3 {
		t.Fatalf("len %d label1 %d classes %v", d.Len(), d.Label(1), d.ClassNames())
	}
	var img RGB
	if err := d.Load(1, &img); err != nil {
		t.Fatal(err)
	}
	if img.W != 2 || img.H != 2 {
		t.Fatalf("size %dx%d", img.W, img.H)
	}
	if r, g, b := img.At(1, 1); r != 8 || g != 8 || b != 8 {
		t.Fatalf("pixel (1,1) = %d,%d,%d want 8,8,8", r, g, b)
	}
	if _, err := NewIDXDataset(images, &IDX{Type: IDXUint8, Dims: []int{2}, Data: []byte{0, 1}}, nil); err == nil {
		t.Error("label count mismatch accepted")
	}
	if _, err := NewIDXDataset(images, labels, []string{"a", "b"}); err == nil {
		t.Error("label 2 with two class names accepted")
	}
}

func TestIDXDatasetFashionMNIST(t *testing.T) {
	d := fashionTest(t)
	if d.Len() != 10000 || d.ClassNames()[d.Label(0)] != "Ankle boot" {
		t.Fatalf("len %d, first class %q", d.Len(), d.ClassNames()[d.Label(0)])
	}
	var img RGB
	if err := d.Load(0, &img); err != nil {
		t.Fatal(err)
	}
	// The first test image is a boot on a black background: dark corners, bright middle.
	r, _, _ := img.At(0, 0)
	sum := 0
	for y := 10; y < 18; y++ {
		for x := 10; x < 18; x++ {
			v, _, _ := img.At(x, y)
			sum += int(v)
		}
	}
	if r != 0 || sum/64 < 40 {
		t.Fatalf("corner %d, centre mean %d: not the expected boot image", r, sum/64)
	}
}
