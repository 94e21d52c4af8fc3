package main

import (
	"net"
	"strings"
	"testing"
)

func TestServeUsageAndStartupErrors(t *testing.T) {
	model := writeGraftFile(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"serve"}, exitUsage, "--model is required"},
		{[]string{"serve", "--model", model, "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"serve", "--model", model, "--max-body", "12QB"}, exitUsage, `"12QB" is not a size`},
		{[]string{"serve", "--model", model, "--max-body", "0"}, exitUsage, "--max-body 0"},
		{[]string{"serve", "--model", model, "--max-batch", "0"}, exitUsage, "--max-batch 0"},
		{[]string{"serve", "--model", model, "--workers", "0"}, exitUsage, "--workers 0"},
		{[]string{"serve", "--model", model, "--max-side", "0"}, exitUsage, "--max-side 0"},
		{[]string{"serve", "--model", model, "--max-waiting", "-2"}, exitUsage, "--max-waiting -2"},
		{[]string{"serve", "--model", model, "--top", "0"}, exitUsage, "--top 0"},
		{[]string{"serve", "--model", model, "--top", "4"}, exitUsage, "--top 4: the model has only 3 classes"},
		{[]string{"serve", "--model", "no-such-model.graft"}, exitFailure, "no-such-model.graft"},
		{[]string{"serve", "--model", model, "--addr", ln.Addr().String()}, exitFailure, "listening on " + ln.Addr().String()},
		{[]string{"serve", "--model", model, "--addr", "nonsense"}, exitFailure, "listening on nonsense"},
	} {
		r := runGraft(t, c.args...)
		r.wantCode(t, c.code)
		if !strings.Contains(r.stderr, c.says) {
			t.Errorf("%v: stderr %q does not say %q", c.args, r.stderr, c.says)
		}
	}
	r := runGraft(t, "serve", "--help")
	r.wantCode(t, exitOK)
	for _, want := range []string{"POST /v1/predict", "--max-body", "SIGTERM", "curl"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("serve --help does not mention %q", want)
		}
	}
}

func TestByteSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"16MiB": 16 << 20, "512KiB": 512 << 10, "1GiB": 1 << 30, "2mb": 2 << 20, "100": 100, "7B": 7, " 3 MiB ": 3 << 20} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("%q: %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "1.5MiB", "99999999999GiB", "ten"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("%q: accepted as %d", in, b)
		}
	}
}
