// Command graft is transfer learning with convolutional networks from the
// command line: list and download the model zoo's pretrained weights,
// inspect any model file Graft reads, classify images, serve predictions
// over HTTP (serve), and (in the subcommands train, eval, lrfind and demo)
// train a new classifier on a pretrained base.
//
// Run `graft --help` for the subcommands and `graft COMMAND --help` for
// each one's flags. Exit codes: 0 success, 1 runtime failure (a missing or
// corrupt file, a failed download), 2 usage error (unknown command, bad or
// missing flags or arguments).
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	baseContext = ctx
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
