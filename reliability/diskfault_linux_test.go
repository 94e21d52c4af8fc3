//go:build linux

package reliability

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/graft-ml/graft/train"
)

// mountTmpfs mounts a tmpfs of size bytes on a new folder and returns it;
// it skips the test where mounting is not allowed (not root, or no
// CAP_SYS_ADMIN in a container).
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(size)); err != nil {
		t.Skipf("skipping: cannot mount a tmpfs (%v); this test needs root", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

// remountReadOnly makes the tmpfs at dir read-only.
func remountReadOnly(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("skipping: cannot remount %s read-only: %v", dir, err)
	}
}

// finishedRun trains a 2-epoch run and copies its folder to dst.
func finishedRun(t *testing.T, dataDir, base, dst string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "run")
	runGraft(t, smallTrain(dataDir, base, src, "--head-epochs", "2")...).wantCode(t, 0)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range snapshot(t, src) {
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// smallTrain is a fast head-only training run into out.
func smallTrain(dataDir, base, out string, extra ...string) []string {
	return append([]string{"train", "--data", dataDir, "--base", base, "--out", out, "--finetune-epochs", "0", "--batch", "8",
		"--feature-cache", "off"}, extra...)
}

// fill writes a file in dir until the file system has at most leave bytes
// free, and returns its path.
func fill(t *testing.T, dir string, leave int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	p := filepath.Join(dir, "filler")
	n := max(free-leave, 0)
	if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	return p
}

// TestDiskFullKeepsCheckpoint resumes a finished run for more epochs on a
// tmpfs with too little space for the next checkpoint: graft must exit 1
// naming the full disk, and leave the old checkpoint, best model and
// metrics byte-identical, with no temporary file; once space is freed, the
// same command finishes the run.
func TestDiskFullKeepsCheckpoint(t *testing.T) {
	mnt := mountTmpfs(t, 512<<10)
	dataDir := writeDataset(t, 2, 8)
	base := writeBase(t, 8)
	out := filepath.Join(mnt, "run")
	finishedRun(t, dataDir, base, out)
	before := snapshot(t, out)
	lastSize := int64(len(before[train.LastFile]))

	for _, leave := range []int64{0, lastSize / 2} {
		filler := fill(t, mnt, leave)
		r := runGraft(t, smallTrain(dataDir, base, out, "--head-epochs", "4", "--resume")...)
		r.wantCode(t, 1)
		if !strings.Contains(r.stderr, "no space left on device") {
			t.Errorf("with %d bytes free: stderr does not say the disk is full:\n%s", leave, r.stderr)
		}
		t.Logf("with %d bytes free: %s", leave, lastLine(r.stderr))
		sameFiles(t, out, before)
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
	}

	runGraft(t, smallTrain(dataDir, base, out, "--head-epochs", "4", "--resume")...).wantCode(t, 0)
	rf := checkRunFolder(t, out)
	if len(rf.metrics) != 4 || len(rf.temps) != 0 {
		t.Fatalf("after freeing space the run logged %d epochs (want 4), temporary files %v", len(rf.metrics), rf.temps)
	}
}

// TestReadOnlyOutputFolder trains into a read-only file system, as a new
// run and as the resumption of a finished one: graft must exit 1 saying the
// file system is read-only, and the finished run's files stay as they were.
func TestReadOnlyOutputFolder(t *testing.T) {
	mnt := mountTmpfs(t, 512<<10)
	dataDir := writeDataset(t, 2, 8)
	base := writeBase(t, 8)
	out := filepath.Join(mnt, "run")
	finishedRun(t, dataDir, base, out)
	before := snapshot(t, out)
	remountReadOnly(t, mnt)

	r := runGraft(t, smallTrain(dataDir, base, filepath.Join(mnt, "new"), "--head-epochs", "2")...)
	r.wantCode(t, 1)
	if !strings.Contains(r.stderr, "read-only file system") || !strings.Contains(r.stderr, "new") {
		t.Errorf("new run: stderr does not name the read-only folder:\n%s", r.stderr)
	}
	r = runGraft(t, smallTrain(dataDir, base, out, "--head-epochs", "4", "--resume")...)
	r.wantCode(t, 1)
	if !strings.Contains(r.stderr, "read-only file system") {
		t.Errorf("resumed run: stderr does not say the file system is read-only:\n%s", r.stderr)
	}
	t.Logf("resumed run: %s", lastLine(r.stderr))
	sameFiles(t, out, before)
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
