package keras

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// sharedDir returns the project's shared directory (../shared next to the
// repository root), skipping the test when it is absent.
func sharedDir(t *testing.T, sub string) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("cannot locate the test file to find ../shared")
	}
	// formats/keras/shared_test.go -> repository root -> ../shared
	root := filepath.Join(filepath.Dir(file), "..", "..")
	dir := filepath.Join(root, "..", "shared", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared fixtures %s not found (they live outside the repository, next to it): %v", dir, err)
	}
	return dir
}
