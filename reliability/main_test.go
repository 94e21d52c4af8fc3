// Package reliability tests how the graft command and Graft's file readers
// behave under faults: a training process killed with SIGKILL at random
// moments, a full disk, a read-only output folder, malformed command lines
// and files that claim more memory than any machine has. Its tests build
// the real graft binary once and run it as a subprocess.
package reliability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// graftBin is the graft binary TestMain builds.
var graftBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	if os.Getenv(saveLoopEnv) != "" {
		return m.Run() // a helper process: it needs no binary
	}
	dir, err := os.MkdirTemp("", "graft-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	graftBin = filepath.Join(dir, "graft")
	build := exec.Command("go", "build", "-o", graftBin, "github.com/graft-ml/graft/cmd/graft")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "reliability: building graft: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// result is one finished run of the graft binary.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// graftCmd returns a command running the graft binary with args, its
// caches pointed into the test's temporary folder.
func graftCmd(t *testing.T, ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, graftBin, args...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir(), "GRAFT_CACHE="+t.TempDir(), "GOMAXPROCS=2")
	return cmd
}

// runGraft runs the graft binary to completion (at most a minute).
func runGraft(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := graftCmd(t, ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errOut.String()}
	if err != nil && r.code <= 0 {
		t.Fatalf("graft %v: %v\n%s", args, err, r)
	}
	return r
}

// wantCode fails the test unless r exited with code.
func (r result) wantCode(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got %s", code, r)
	}
}
