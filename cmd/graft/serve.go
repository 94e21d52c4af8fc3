package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/graft-ml/graft/modelio"
	"github.com/graft-ml/graft/serve"
)

func init() {
	register(&command{name: "serve", summary: "serve a model's predictions over HTTP", run: runServe})
}

const serveHelp = `Usage:
  graft serve --model FILE|NAME [--addr :8080] [--max-body 16MiB] [--max-batch 16] [--workers 1] [--top 5]

Serves the model's predictions over HTTP until SIGINT or SIGTERM, then stops
accepting connections and lets the requests in flight finish (up to 30 s).
Images are prepared as 'graft predict' prepares them (the model's own
preprocessing, EXIF orientation applied, grey images made RGB).

Endpoints:
  POST /v1/predict[?top=K]  the body is one image (Content-Type image/jpeg,
                            image/png, image/gif, image/bmp, image/webp or
                            application/octet-stream; the format is sniffed),
                            or multipart/form-data with up to --max-batch
                            parts named "image". Answers JSON: per image, the
                            top K labels with probabilities; the model's name;
                            the time spent decoding, queued and inferring.
  GET  /v1/model            the model: name, format, input size,
                            preprocessing, labels, parameter count, limits
  GET  /healthz             200 while the process runs
  GET  /readyz              200 when ready, 503 once shutdown has begun

A bad request gets a JSON {"error": "...", "field": "..."} and its status:
400 (undecodable image, bad ?top, too many parts, empty body), 404, 405,
413 (body over --max-body, image declaring more than --max-side squared
pixels), 415
(missing or unsupported Content-Type), 503 with Retry-After when --workers
inferences run and --max-waiting more requests wait. One log line per
request goes to stderr.

Example:
  graft serve --model pets.graft --addr :8080
  curl -H 'Content-Type: image/jpeg' --data-binary @cat.jpg 'localhost:8080/v1/predict?top=3'
  curl -F image=@cat.jpg -F image=@dog.png localhost:8080/v1/predict
`

func runServe(e *env, args []string) error {
	fs := e.flags("serve", serveHelp)
	model := fs.String("model", "", "model file or zoo name (required)")
	addr := fs.String("addr", ":8080", "address to listen on, host:port (port 0: any free port)")
	maxBody := byteSize(serve.DefaultMaxBodyBytes)
	fs.Var(&maxBody, "max-body", "largest request body: bytes, or with a KiB, MiB or GiB suffix")
	maxBatch := fs.Int("max-batch", serve.DefaultMaxBatch, "most images in one multipart request")
	maxSide := fs.Int("max-side", 4096, "largest image accepted: its declared width x height may be at most this squared")
	workers := fs.Int("workers", 1, "inferences run at once, each on its own copy of the model")
	waiting := fs.Int("max-waiting", -1, "requests that may wait for a worker before others get 503; -1: 4 x --workers")
	top := fs.Int("top", serve.DefaultTop, "classes per image when a request gives no ?top (at most the model's class count)")
	labelsFile := fs.String("labels", "", "labels file, one class name per line in output order")
	mf := addModelFlags(fs)
	rest, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *model == "":
		return usagef("serve", "--model is required")
	case len(rest) > 0:
		return usagef("serve", "unexpected argument %q", rest[0])
	case maxBody <= 0:
		return usagef("serve", "--max-body %d: want at least 1 byte", maxBody)
	case *maxBatch < 1:
		return usagef("serve", "--max-batch %d: want at least 1", *maxBatch)
	case *workers < 1:
		return usagef("serve", "--workers %d: want at least 1", *workers)
	case *maxSide < 1 || *maxSide > 65536:
		return usagef("serve", "--max-side %d: want 1 to 65536 pixels", *maxSide)
	case *waiting < -1:
		return usagef("serve", "--max-waiting %d: want 0 or more (or -1 for 4 x --workers)", *waiting)
	case *top < 1:
		return usagef("serve", "--top %d: want at least 1", *top)
	}
	l, err := mf.open(e, *model, true)
	if err != nil {
		return err
	}
	if *labelsFile != "" {
		if l.Labels, err = modelio.ReadLabels(*labelsFile); err != nil {
			return err
		}
		l.LabelsFrom = *labelsFile
	}
	opt := serve.Options{MaxBodyBytes: int64(maxBody), MaxBatch: *maxBatch, MaxPixels: *maxSide * *maxSide, Workers: *workers, MaxWaiting: *waiting, Top: *top, Log: e.stderr}
	switch *waiting {
	case -1:
		opt.MaxWaiting = 0 // serve's default, 4 x workers
	case 0:
		opt.MaxWaiting = -1 // none wait
	}
	h, err := serve.New(l, opt)
	if err != nil {
		return err
	}
	topGiven := false
	fs.Visit(func(f *flag.Flag) { topGiven = topGiven || f.Name == "top" })
	if topGiven && *top > h.Classes() {
		return usagef("serve", "--top %d: the model has only %d classes", *top, h.Classes())
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(e.stderr, "graft: serving %s (%d classes) on http://%s with %d worker(s); SIGINT or SIGTERM stops\n",
		l.Source, h.Classes(), ln.Addr(), *workers)
	if err := serve.Serve(ctx, ln, h, serve.ServerOptions{}); err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, "graft: stopped; every request in flight finished")
	return nil
}

// byteSize is a flag holding a size in bytes, written as a number with an
// optional B, KiB, MiB or GiB suffix (KB, MB, GB mean the same powers of 1024).
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	num := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(strings.ToUpper(num), strings.ToUpper(u.suffix)) {
			num, mult = strings.TrimSpace(num[:len(num)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a size: want bytes, or a number with KiB, MiB or GiB", s)
	}
	*b = byteSize(n * mult)
	return nil
}
