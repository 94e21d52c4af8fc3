// Package serve is Graft's HTTP prediction server: an http.Handler over a
// loaded model that classifies the images posted to it, and Serve, which
// runs it behind an http.Server with timeouts, a bound on concurrent work
// and graceful shutdown.
//
// Endpoints:
//
//	POST /v1/predict   one image as the body, or multipart/form-data with "image" parts; ?top=K
//	GET  /v1/model     the model's metadata
//	GET  /healthz      liveness: 200 while the process serves
//	GET  /readyz       readiness: 200, or 503 once shutdown has begun
//
// Every request is validated before any large allocation: the body is read
// through http.MaxBytesReader, an image's dimensions are checked from its
// header before its pixels are decoded, and the number of images, the
// requests admitted at once and the inferences running at once are
// bounded. Errors are JSON objects {"error": "...", "field": "..."} with
// the status code that fits (400, 404, 405, 413, 415, 503).
package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/modelio"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 16 << 20 // 16 MiB
	DefaultMaxBatch     = 16
	DefaultTop          = 5
	// DefaultMaxPixels bounds an image's declared width×height (4096×4096).
	DefaultMaxPixels = 4096 * 4096
)

// Options configures a Handler. Zero fields take the defaults.
type Options struct {
	// Name is the model's name in responses (default: the file name).
	Name string
	// MaxBodyBytes bounds a request body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxBatch bounds the images of one multipart request (default DefaultMaxBatch).
	MaxBatch int
	// Workers is how many inferences run at once, each on its own copy of
	// the model (default 1).
	Workers int
	// MaxWaiting is how many admitted requests may wait for a worker
	// (reading, decoding or queued) beyond Workers; more get 503 with
	// Retry-After. 0 takes 4×Workers; a negative value lets none wait.
	MaxWaiting int
	// Top is how many classes a response lists when ?top is not given
	// (default DefaultTop, or the class count when smaller).
	Top int
	// MaxPixels bounds an image's declared width×height (default DefaultMaxPixels).
	MaxPixels int
	// Log, when set, gets one line per request.
	Log io.Writer
}

// Handler serves predictions from one model. It is safe for concurrent use.
type Handler struct {
	opt      Options
	eng      *engine
	labels   []string
	slots    chan struct{} // admitted requests
	draining atomic.Bool
	logger   *log.Logger
	// beforeRun, when set (by tests), runs before each inference.
	beforeRun func()
}

// New returns a handler serving the loaded model. It runs the model once on
// a blank input to learn its class count, and fails when the labels do not
// match it or the model cannot be copied for opt.Workers workers.
func New(l *modelio.Loaded, opt Options) (*Handler, error) {
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = DefaultMaxBatch
	}
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	switch {
	case opt.MaxWaiting == 0:
		opt.MaxWaiting = 4 * opt.Workers
	case opt.MaxWaiting < 0:
		opt.MaxWaiting = 0
	}
	if opt.MaxPixels <= 0 {
		opt.MaxPixels = DefaultMaxPixels
	}
	eng, err := newEngine(l, opt.Workers)
	if err != nil {
		return nil, err
	}
	labels := l.Labels
	if labels == nil {
		labels = modelio.DefaultLabels(eng.classes)
	}
	if labels != nil && len(labels) != eng.classes {
		return nil, fmt.Errorf("serve: %s: %d labels for a model with %d outputs", l.Source, len(labels), eng.classes)
	}
	if opt.Top <= 0 {
		opt.Top = DefaultTop
	}
	opt.Top = min(opt.Top, eng.classes)
	if opt.Name == "" {
		opt.Name = filepath.Base(l.Source)
	}
	h := &Handler{opt: opt, eng: eng, labels: labels, slots: make(chan struct{}, opt.Workers+opt.MaxWaiting)}
	if opt.Log != nil {
		h.logger = log.New(opt.Log, "", log.LstdFlags|log.Lmicroseconds)
	}
	return h, nil
}

// Drain marks the handler as shutting down: /readyz answers 503 from now
// on, so a load balancer stops sending requests while those in flight
// finish.
func (h *Handler) Drain() { h.draining.Store(true) }

// Classes returns the model's class count.
func (h *Handler) Classes() int { return h.eng.classes }

// apiError is a request the handler refuses.
type apiError struct {
	status int
	field  string // the request field at fault, "" for none
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// fail returns an apiError.
func fail(status int, field, format string, args ...any) *apiError {
	return &apiError{status: status, field: field, msg: fmt.Sprintf(format, args...)}
}

// ErrorResponse is the body of every error response.
type ErrorResponse struct {
	Error string  `json:"error"`
	Field *string `json:"field"` // the query parameter, header or part at fault; null for none
}

// ServeHTTP routes the request, logs it, and turns a panic into a 500.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &recorder{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			if h.logger != nil {
				h.logger.Printf("panic serving %s %s: %v", r.Method, r.URL.Path, v)
			}
			if rw.status == 0 {
				writeError(rw, fail(http.StatusInternalServerError, "", "internal error"))
			}
		}
		if h.logger != nil {
			h.logger.Printf("%s %s %q %d %dB %.1fms", r.RemoteAddr, r.Method, r.URL.RequestURI(), rw.status, rw.bytes,
				float64(time.Since(start).Microseconds())/1000)
		}
	}()
	var err *apiError
	switch r.URL.Path {
	case "/v1/predict":
		if err = allow(rw, r, http.MethodPost); err == nil {
			err = h.predict(rw, r, start)
		}
	case "/v1/model":
		if err = allow(rw, r, http.MethodGet, http.MethodHead); err == nil {
			writeJSON(rw, http.StatusOK, h.info())
		}
	case "/healthz":
		if err = allow(rw, r, http.MethodGet, http.MethodHead); err == nil {
			writeJSON(rw, http.StatusOK, map[string]string{"status": "ok"})
		}
	case "/readyz":
		if err = allow(rw, r, http.MethodGet, http.MethodHead); err == nil {
			if h.draining.Load() {
				err = fail(http.StatusServiceUnavailable, "", "shutting down")
			} else {
				writeJSON(rw, http.StatusOK, map[string]string{"status": "ready"})
			}
		}
	default:
		err = fail(http.StatusNotFound, "", "no such endpoint %s; see /v1/predict, /v1/model, /healthz, /readyz", r.URL.Path)
	}
	if err != nil {
		writeError(rw, err)
	}
}

// allow refuses a method not in methods with 405 and an Allow header.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) *apiError {
	for _, m := range methods {
		if r.Method == m {
			return nil
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	return fail(http.StatusMethodNotAllowed, "", "method %s not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(methods, " or "))
}

// recorder remembers the status and size of a response, for the log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// writeJSON writes v as the JSON response body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"encoding the response","field":null}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError writes e as an ErrorResponse.
func writeError(w http.ResponseWriter, e *apiError) {
	body := ErrorResponse{Error: e.msg}
	if e.field != "" {
		body.Field = &e.field
	}
	if e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.status, body)
}

// ModelInfo is the body of GET /v1/model.
type ModelInfo struct {
	Name       string         `json:"name"`
	Format     string         `json:"format"`
	Input      InputInfo      `json:"input"`
	Preprocess string         `json:"preprocessing"`
	Classes    int            `json:"classes"`
	Labels     []string       `json:"labels"`
	LabelsFrom string         `json:"labels_from,omitempty"`
	Parameters int64          `json:"parameters"`
	Meta       map[string]any `json:"metadata,omitempty"`
	Limits     Limits         `json:"limits"`
}

// InputInfo is the model's input: NHWC, 3 channels; Batch is 0 when any
// batch size works.
type InputInfo struct {
	Height   int `json:"height"`
	Width    int `json:"width"`
	Channels int `json:"channels"`
	Batch    int `json:"batch"`
}

// Limits are the request limits a client must respect.
type Limits struct {
	MaxBodyBytes int64 `json:"max_body_bytes"`
	MaxBatch     int   `json:"max_batch"`
	MaxPixels    int   `json:"max_pixels"`
	DefaultTop   int   `json:"default_top"`
}

func (h *Handler) info() ModelInfo {
	l := h.eng.l
	return ModelInfo{
		Name: h.opt.Name, Format: string(l.Format),
		Input:      InputInfo{Height: l.Preprocess.Height, Width: l.Preprocess.Width, Channels: 3, Batch: l.InputBatch},
		Preprocess: modelio.DescribePreprocess(l.Preprocess),
		Classes:    h.eng.classes, Labels: h.labels, LabelsFrom: l.LabelsFrom, Parameters: h.eng.params, Meta: l.Meta,
		Limits: Limits{MaxBodyBytes: h.opt.MaxBodyBytes, MaxBatch: h.opt.MaxBatch, MaxPixels: h.opt.MaxPixels, DefaultTop: h.opt.Top},
	}
}

// PredictResponse is the body of a successful POST /v1/predict.
type PredictResponse struct {
	Model  string        `json:"model"`
	Images []ImageResult `json:"images"`
	Timing Timing        `json:"timing_ms"`
}

// ImageResult is one image's classes, most likely first.
type ImageResult struct {
	// Part is "body" for a raw image, else "image[i]" for the i-th image part.
	Part     string  `json:"part"`
	Filename string  `json:"filename,omitempty"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Classes  []Class `json:"classes"`
}

// Class is one class and its probability.
type Class struct {
	Label       string  `json:"label"`
	Index       int     `json:"index"`
	Probability float64 `json:"probability"`
}

// Timing is where a request's time went, in milliseconds.
type Timing struct {
	Decode    float64 `json:"decode"`    // reading, decoding and preprocessing the images
	Queue     float64 `json:"queue"`     // waiting for a free worker
	Inference float64 `json:"inference"` // running the model
	Total     float64 `json:"total"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// imageTypes are the Content-Types accepted for a raw image body; the
// format itself is always sniffed from the bytes.
var imageTypes = map[string]bool{
	"image/jpeg": true, "image/png": true, "image/gif": true, "image/bmp": true, "image/webp": true,
	"image/tiff": true, "application/octet-stream": true,
}

// predict handles POST /v1/predict.
func (h *Handler) predict(w http.ResponseWriter, r *http.Request, start time.Time) *apiError {
	top, aerr := h.top(r)
	if aerr != nil {
		return aerr
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return fail(http.StatusUnsupportedMediaType, "Content-Type", "missing Content-Type: send one image as image/jpeg, image/png, image/gif, image/bmp, image/webp or application/octet-stream, or multipart/form-data with \"image\" parts")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fail(http.StatusUnsupportedMediaType, "Content-Type", "Content-Type %q: %v", ct, err)
	}
	multi := mt == "multipart/form-data"
	if !multi && !imageTypes[mt] {
		return fail(http.StatusUnsupportedMediaType, "Content-Type", "unsupported Content-Type %q: want an image type, application/octet-stream or multipart/form-data", mt)
	}
	if multi && params["boundary"] == "" {
		return fail(http.StatusBadRequest, "Content-Type", "multipart/form-data without a boundary")
	}
	if r.ContentLength == 0 {
		return fail(http.StatusBadRequest, "body", "empty body: send an image")
	}
	if r.ContentLength > h.opt.MaxBodyBytes {
		return fail(http.StatusRequestEntityTooLarge, "body", "body of %d bytes over the limit of %d", r.ContentLength, h.opt.MaxBodyBytes)
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		return fail(http.StatusServiceUnavailable, "", "server busy: %d requests in progress; retry later", cap(h.slots))
	}
	body := http.MaxBytesReader(w, r.Body, h.opt.MaxBodyBytes)
	d := &decoder{h: h}
	if multi {
		aerr = d.multipart(multipart.NewReader(body, params["boundary"]))
	} else {
		aerr = d.raw(body)
	}
	if aerr != nil {
		return aerr
	}
	decoded := time.Now()
	var queued time.Time
	res, err := h.eng.run(r.Context(), d.tensors, top, func() {
		queued = time.Now()
		if h.beforeRun != nil {
			h.beforeRun()
		}
	})
	if err != nil {
		if r.Context().Err() != nil {
			return fail(http.StatusServiceUnavailable, "", "request cancelled while waiting for a worker")
		}
		return fail(http.StatusInternalServerError, "", "running the model: %v", err)
	}
	done := time.Now()
	out := PredictResponse{Model: h.opt.Name, Images: d.results,
		Timing: Timing{Decode: ms(decoded.Sub(start)), Queue: ms(queued.Sub(decoded)), Inference: ms(done.Sub(queued)), Total: ms(done.Sub(start))}}
	for i, s := range res {
		classes := make([]Class, len(s.rank))
		for j, k := range s.rank {
			classes[j] = Class{Label: modelio.LabelName(h.labels, k), Index: k, Probability: s.probs[k]}
		}
		out.Images[i].Classes = classes
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// top validates the query: only "top", a whole number from 1 to the class
// count.
func (h *Handler) top(r *http.Request) (int, *apiError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return 0, fail(http.StatusBadRequest, "query", "query %q: %v", r.URL.RawQuery, err)
	}
	for name := range q {
		if name != "top" {
			return 0, fail(http.StatusBadRequest, name, "unknown query parameter %q; the only one is top", name)
		}
	}
	vs, ok := q["top"]
	if !ok {
		return h.opt.Top, nil
	}
	if len(vs) != 1 {
		return 0, fail(http.StatusBadRequest, "top", "top given %d times", len(vs))
	}
	k, err := strconv.Atoi(vs[0])
	switch {
	case err != nil:
		return 0, fail(http.StatusBadRequest, "top", "top %q: not a whole number", vs[0])
	case k < 1:
		return 0, fail(http.StatusBadRequest, "top", "top %d: want at least 1", k)
	case k > h.eng.classes:
		return 0, fail(http.StatusBadRequest, "top", "top %d: the model has only %d classes", k, h.eng.classes)
	}
	return k, nil
}

// decoder reads a request's images and preprocesses each as it arrives,
// so a request holds at most one decoded image at a time.
type decoder struct {
	h        *Handler
	rgb, tmp data.RGB
	z        data.Resizer
	tensors  [][]float32
	results  []ImageResult
}

// raw reads a body that is one image.
func (d *decoder) raw(body io.Reader) *apiError {
	b, err := io.ReadAll(body)
	if err != nil {
		return readError("body", err)
	}
	if len(b) == 0 {
		return fail(http.StatusBadRequest, "body", "empty body: send an image")
	}
	return d.add(b, "body", "")
}

// multipart reads the "image" parts of a multipart/form-data body.
func (d *decoder) multipart(mr *multipart.Reader) *apiError {
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return readError("body", err)
		}
		name := p.FormName()
		if name != "image" {
			return fail(http.StatusBadRequest, name, "unexpected part %q: send each image as a part named \"image\"", name)
		}
		field := fmt.Sprintf("image[%d]", len(d.tensors))
		if len(d.tensors) == d.h.opt.MaxBatch {
			return fail(http.StatusBadRequest, "image", "more than %d images in one request", d.h.opt.MaxBatch)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return readError(field, err)
		}
		if len(b) == 0 {
			return fail(http.StatusBadRequest, field, "%s%s is empty", field, quoted(p.FileName()))
		}
		if aerr := d.add(b, field, p.FileName()); aerr != nil {
			return aerr
		}
	}
	if len(d.tensors) == 0 {
		return fail(http.StatusBadRequest, "image", "no image parts: send each image as a part named \"image\"")
	}
	return nil
}

// quoted is ` ("name")` for a file name, or "" for none.
func quoted(name string) string {
	if name == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", name)
}

// readError maps a body read error: over the size limit is 413, anything
// else (a truncated or malformed body) 400.
func readError(field string, err error) *apiError {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fail(http.StatusRequestEntityTooLarge, "body", "body over the limit of %d bytes", tooBig.Limit)
	}
	return fail(http.StatusBadRequest, field, "reading %s: %v", field, err)
}

// add decodes and preprocesses one encoded image.
func (d *decoder) add(b []byte, field, filename string) *apiError {
	opts := data.DecodeOptions{MaxPixels: d.h.opt.MaxPixels, MaxFileBytes: d.h.opt.MaxBodyBytes}
	if err := data.Decode(b, &d.rgb, opts); err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, data.ErrTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		return fail(status, field, "%s%s: %v", field, quoted(filename), err)
	}
	pre := d.h.eng.l.Preprocess
	x := make([]float32, pre.Numel())
	if err := pre.Apply(&d.z, &d.rgb, &d.tmp, x); err != nil {
		return fail(http.StatusBadRequest, field, "%s%s: %v", field, quoted(filename), err)
	}
	d.tensors = append(d.tensors, x)
	d.results = append(d.results, ImageResult{Part: field, Filename: filename, Width: d.rgb.W, Height: d.rgb.H})
	return nil
}
