package gradcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryOutsideLayerHasGrad64Check walks the module and fails when a
// type outside package nn (which has its own coverage test) and this one
// (whose planted-bug wrapper is no layer) declares a
// layer's Backward(gradOut, needInputGrad) but no _grad64_test.go file in
// its folder names the type.
func TestEveryOutsideLayerHasGrad64Check(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Skipf("module root not found: %v", err)
	}
	fset := token.NewFileSet()
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || path == filepath.Join(root, "nn") || path == filepath.Join(root, "internal", "gradcheck")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 || fd.Name.Name != "Backward" || fd.Type.Params.NumFields() != 2 {
				continue
			}
			recv := fd.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			id, ok := recv.(*ast.Ident)
			if !ok {
				continue
			}
			found++
			if !grad64TestNames(t, filepath.Dir(path), id.Name) {
				t.Errorf("%s: %s has a Backward but no _grad64_test.go beside it names it", path, id.Name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 5 {
		t.Errorf("found %d layers outside nn, want at least the 5 known (zoo, onnx, keras)", found)
	}
}

// grad64TestNames reports whether a _grad64_test.go file in dir contains typ.
func grad64TestNames(t *testing.T, dir, typ string) bool {
	files, err := filepath.Glob(filepath.Join(dir, "*_grad64_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), typ) {
			return true
		}
	}
	return false
}
