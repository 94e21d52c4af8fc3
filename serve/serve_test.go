package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graft-ml/graft"
	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/modelio"
	"github.com/graft-ml/graft/nn"
)

// writeModel saves a tiny zoo network with random weights (MobileNetV2,
// width 0.35, 32×32 input, BatchNorm included) with a 3-class head, and
// returns its path.
func writeModel(t testing.TB) string {
	t.Helper()
	base, err := graft.NewBase("mobilenet_v2", graft.BaseOptions{InputSize: 32, Width: 0.35, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	m, err := base.WithHead([]string{"cat", "dog", "owl"}, graft.Head{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "pets.graft")
	if err := m.Save(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// newHandler opens the model at path and serves it with opt.
func newHandler(t testing.TB, path string, opt Options) *Handler {
	t.Helper()
	l, err := modelio.Open(path, modelio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(l, opt)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// testPNG encodes a w×h colour gradient that varies with seed.
func testPNG(t testing.TB, w, h, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x*37 + seed*50), uint8(y*23 + seed*90), uint8((x + y) * seed * 11), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hugePNG is a 1×1 PNG whose header (with a valid CRC) claims 100000×100000 pixels.
func hugePNG(t testing.TB) []byte {
	b := testPNG(t, 1, 1, 0)
	binary.BigEndian.PutUint32(b[16:], 100_000)
	binary.BigEndian.PutUint32(b[20:], 100_000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// part is one multipart part: its form name, file name and content.
type part struct {
	name, file string
	body       []byte
}

// multipartBody encodes parts as multipart/form-data and returns the body
// and its Content-Type.
func multipartBody(t testing.TB, parts ...part) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		hdr := textproto.MIMEHeader{}
		hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.file))
		w, err := mw.CreatePart(hdr)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.body)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

// do sends a request to h and returns the recorded response.
func do(h http.Handler, method, target, contentType string, body []byte) *httptest.ResponseRecorder {
	return doLength(h, method, target, contentType, body, int64(len(body)))
}

// doLength is do with the request's ContentLength set (-1: unknown, as
// for a chunked body).
func doLength(h http.Handler, method, target, contentType string, body []byte, length int64) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	r.ContentLength = length
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// decodeJSON decodes a response body into v, failing on anything but one
// JSON value.
func decodeJSON(t testing.TB, body []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("response %q: %v", body, err)
	}
}

// wantPredictions checks that the server's classes for an image equal
// graft.Model.Predict's on the same encoded image.
func wantPredictions(t *testing.T, m *graft.Model, encoded []byte, got ImageResult, k int) {
	t.Helper()
	var img data.RGB
	if err := data.Decode(encoded, &img, data.DecodeOptions{}); err != nil {
		t.Fatal(err)
	}
	want, err := m.Predict(&img, k)
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != img.W || got.Height != img.H {
		t.Errorf("%s: size %dx%d, want %dx%d", got.Part, got.Width, got.Height, img.W, img.H)
	}
	if len(got.Classes) != len(want) {
		t.Fatalf("%s: %d classes, want %d", got.Part, len(got.Classes), len(want))
	}
	for i, w := range want {
		g := got.Classes[i]
		if g.Label != w.Class || g.Index != w.Index || math.Abs(g.Probability-w.Probability) > 1e-6 {
			t.Errorf("%s class %d: got %+v, want %+v", got.Part, i, g, w)
		}
	}
}

func TestPredictMatchesModelPredict(t *testing.T) {
	path := writeModel(t)
	m, err := graft.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, path, Options{Name: "pets"})
	t.Run("raw", func(t *testing.T) {
		img := testPNG(t, 20, 12, 1)
		w := do(h, http.MethodPost, "/v1/predict?top=3", "image/png", img)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var resp PredictResponse
		decodeJSON(t, w.Body.Bytes(), &resp)
		if resp.Model != "pets" || len(resp.Images) != 1 || resp.Images[0].Part != "body" {
			t.Fatalf("response %+v", resp)
		}
		if resp.Timing.Total < resp.Timing.Inference || resp.Timing.Total <= 0 {
			t.Errorf("timing %+v: total should be positive and cover inference", resp.Timing)
		}
		wantPredictions(t, m, img, resp.Images[0], 3)
	})
	t.Run("batch", func(t *testing.T) {
		// Colour PNG, EXIF-rotated JPEG, grayscale PNG, GIF, WebP; sent as
		// application/octet-stream-free parts, sniffed.
		files := []part{
			{"image", "a.png", testPNG(t, 9, 30, 2)},
			{"image", "o6.jpg", readFile(t, "../data/testdata/exif/o6.jpg")},
			{"image", "gray.png", readFile(t, "../data/testdata/decode/gray.png")},
			{"image", "palette.gif", readFile(t, "../data/testdata/decode/palette.gif")},
			{"image", "webp.webp", readFile(t, "../data/testdata/decode/webp.webp")},
		}
		body, ct := multipartBody(t, files...)
		w := do(h, http.MethodPost, "/v1/predict?top=2", ct, body)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var resp PredictResponse
		decodeJSON(t, w.Body.Bytes(), &resp)
		if len(resp.Images) != len(files) {
			t.Fatalf("%d images, want %d", len(resp.Images), len(files))
		}
		for i, f := range files {
			got := resp.Images[i]
			if got.Part != fmt.Sprintf("image[%d]", i) || got.Filename != f.file {
				t.Errorf("image %d: part %q file %q", i, got.Part, got.Filename)
			}
			wantPredictions(t, m, f.body, got, 2)
		}
		// The EXIF orientation was applied: o6.jpg comes out the size of the upright image.
		var up data.RGB
		if err := data.DecodeFile("../data/testdata/exif/upright.png", &up, data.DecodeOptions{}); err != nil {
			t.Fatal(err)
		}
		if o := resp.Images[1]; o.Width != up.W || o.Height != up.H || up.W == up.H {
			t.Errorf("o6.jpg decoded as %dx%d, want the upright %dx%d", o.Width, o.Height, up.W, up.H)
		}
	})
	t.Run("default top", func(t *testing.T) {
		w := do(h, http.MethodPost, "/v1/predict", "application/octet-stream", testPNG(t, 16, 16, 3))
		var resp PredictResponse
		decodeJSON(t, w.Body.Bytes(), &resp)
		if w.Code != http.StatusOK || len(resp.Images[0].Classes) != 3 { // DefaultTop 5, capped at the 3 classes
			t.Fatalf("status %d, %+v", w.Code, resp)
		}
	})
}

func TestModelHealthReady(t *testing.T) {
	path := writeModel(t)
	h := newHandler(t, path, Options{MaxBatch: 4})
	w := do(h, http.MethodGet, "/v1/model", "", nil)
	var info ModelInfo
	decodeJSON(t, w.Body.Bytes(), &info)
	// Learned parameters only: BatchNorm's running statistics are state.
	m, err := graft.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var want, state int64
	for _, p := range m.Network().Graph.Params() {
		want += int64(p.Value.Size())
	}
	for _, p := range m.Network().Graph.State() {
		state += int64(p.Value.Size())
	}
	if w.Code != 200 || info.Name != "pets.graft" || info.Format != "graft" || info.Classes != 3 ||
		strings.Join(info.Labels, ",") != "cat,dog,owl" || info.Parameters != want || state == 0 ||
		info.Input != (InputInfo{Height: 32, Width: 32, Channels: 3}) || info.Limits.MaxBatch != 4 || info.Preprocess == "" {
		t.Errorf("status %d, info %+v; want 3 labelled classes, %d parameters (not the %d of state), 32x32 input", w.Code, info, want, state)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if w := do(h, http.MethodGet, p, "", nil); w.Code != 200 {
			t.Errorf("%s: status %d", p, w.Code)
		}
	}
	h.Drain()
	if w := do(h, http.MethodGet, "/readyz", "", nil); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("/readyz while draining: status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if w := do(h, http.MethodGet, "/healthz", "", nil); w.Code != 200 {
		t.Errorf("/healthz while draining: status %d", w.Code)
	}
}

// malformedCase is one bad request and the refusal it must get.
type malformedCase struct {
	name, method, target, contentType string
	body                              []byte
	status                            int
	field                             string // "" for a null field
	msg                               string // a substring of the error
}

// malformedCases are the bad requests TestMalformedRequests sends to a
// handler with a 4 KiB body limit, 2 images a request and 64×64 pixels.
func malformedCases(t testing.TB) []malformedCase {
	good := testPNG(t, 8, 8, 1)
	two, twoCT := multipartBody(t, part{"image", "a.png", good}, part{"image", "b.png", good[:len(good)/2]})
	three, threeCT := multipartBody(t, part{"image", "a.png", good}, part{"image", "b.png", good}, part{"image", "c.png", good})
	other, otherCT := multipartBody(t, part{"photo", "a.png", good})
	empty, emptyCT := multipartBody(t)
	emptyPart, emptyPartCT := multipartBody(t, part{"image", "a.png", nil})
	bigPart, bigPartCT := multipartBody(t, part{"image", "a.png", bytes.Repeat([]byte{1}, 5000)})
	return []malformedCase{
		{"GET predict", "GET", "/v1/predict", "", nil, 405, "", "method GET not allowed"},
		{"POST model", "POST", "/v1/model", "image/png", good, 405, "", "method POST not allowed"},
		{"DELETE healthz", "DELETE", "/healthz", "", nil, 405, "", "method DELETE"},
		{"unknown path", "GET", "/v2/predict", "", nil, 404, "", "no such endpoint /v2/predict"},
		{"root", "GET", "/", "", nil, 404, "", "no such endpoint"},
		{"no content type", "POST", "/v1/predict", "", good, 415, "Content-Type", "missing Content-Type"},
		{"text content type", "POST", "/v1/predict", "text/plain", good, 415, "Content-Type", `unsupported Content-Type "text/plain"`},
		{"json content type", "POST", "/v1/predict", "application/json", []byte(`{"image":1}`), 415, "Content-Type", "unsupported Content-Type"},
		{"bad content type", "POST", "/v1/predict", "image/png; =", good, 415, "Content-Type", "Content-Type"},
		{"multipart without boundary", "POST", "/v1/predict", "multipart/form-data", two, 400, "Content-Type", "without a boundary"},
		{"empty body", "POST", "/v1/predict", "image/png", nil, 400, "body", "empty body"},
		{"body over limit", "POST", "/v1/predict", "image/png", bytes.Repeat([]byte{0x89}, 5000), 413, "body", "body of 5000 bytes over the limit of 4096"},
		{"body over limit chunked", "POST", "/v1/predict", "image/png", bytes.Repeat([]byte{0x89}, 5000), 413, "body", "body over the limit of 4096 bytes"},
		{"empty body chunked", "POST", "/v1/predict", "image/png", nil, 400, "body", "empty body"},
		{"garbage bytes", "POST", "/v1/predict", "image/jpeg", []byte("this is not an image at all"), 400, "body", "reading header: image: unknown format"},
		{"truncated png", "POST", "/v1/predict", "image/png", good[:len(good)/2], 400, "body", "decoding png"},
		{"png header only", "POST", "/v1/predict", "image/png", good[:33], 400, "body", "png"},
		{"huge dimensions", "POST", "/v1/predict", "image/png", hugePNG(t), 413, "body", "declares 100000x100000 pixels, more than 4096"},
		{"truncated second part", "POST", "/v1/predict", twoCT, two, 400, "image[1]", `image[1] ("b.png"): decoding png`},
		{"too many parts", "POST", "/v1/predict", threeCT, three, 400, "image", "more than 2 images"},
		{"wrong part name", "POST", "/v1/predict", otherCT, other, 400, "photo", `unexpected part "photo"`},
		{"no parts", "POST", "/v1/predict", emptyCT, empty, 400, "image", "no image parts"},
		{"empty part", "POST", "/v1/predict", emptyPartCT, emptyPart, 400, "image[0]", `image[0] ("a.png") is empty`},
		{"part over limit", "POST", "/v1/predict", bigPartCT, bigPart, 413, "body", "over the limit of 4096"},
		{"part over limit chunked", "POST", "/v1/predict", bigPartCT, bigPart, 413, "body", "body over the limit of 4096 bytes"},
		{"cut multipart", "POST", "/v1/predict", twoCT, two[:len(two)-10], 400, "image[1]", "reading image[1]: unexpected EOF"},
		{"top 0", "POST", "/v1/predict?top=0", "image/png", good, 400, "top", "top 0: want at least 1"},
		{"top negative", "POST", "/v1/predict?top=-2", "image/png", good, 400, "top", "top -2: want at least 1"},
		{"top word", "POST", "/v1/predict?top=five", "image/png", good, 400, "top", `top "five": not a whole number`},
		{"top empty", "POST", "/v1/predict?top=", "image/png", good, 400, "top", `top "": not a whole number`},
		{"top over classes", "POST", "/v1/predict?top=4", "image/png", good, 400, "top", "top 4: the model has only 3 classes"},
		{"top huge", "POST", "/v1/predict?top=99999999999999999999", "image/png", good, 400, "top", "not a whole number"},
		{"top twice", "POST", "/v1/predict?top=1&top=2", "image/png", good, 400, "top", "top given 2 times"},
		{"unknown parameter", "POST", "/v1/predict?k=2", "image/png", good, 400, "k", `unknown query parameter "k"`},
		{"bad query escape", "POST", "/v1/predict?top=%zz", "image/png", good, 400, "query", "invalid URL escape"},
	}
}

func TestMalformedRequests(t *testing.T) {
	h := newHandler(t, writeModel(t), Options{MaxBodyBytes: 4096, MaxBatch: 2, MaxPixels: 4096})
	for _, c := range malformedCases(t) {
		t.Run(c.name, func(t *testing.T) {
			length := int64(len(c.body))
			if strings.HasSuffix(c.name, " chunked") {
				length = -1 // no Content-Length: only http.MaxBytesReader stops it
			}
			w := doLength(h, c.method, c.target, c.contentType, c.body, length)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var e ErrorResponse
			decodeJSON(t, w.Body.Bytes(), &e)
			if !strings.Contains(e.Error, c.msg) {
				t.Errorf("error %q does not say %q", e.Error, c.msg)
			}
			switch {
			case c.field == "" && e.Field != nil:
				t.Errorf("field %q, want null", *e.Field)
			case c.field != "" && (e.Field == nil || *e.Field != c.field):
				t.Errorf("field %v, want %q", e.Field, c.field)
			}
			if c.status == 405 && w.Header().Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
}

func TestConcurrentRequests(t *testing.T) {
	path := writeModel(t)
	m, err := graft.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, path, Options{Workers: 2, MaxWaiting: 64})
	srv := httptest.NewServer(h)
	defer srv.Close()
	imgs := make([][]byte, 4)
	for i := range imgs {
		imgs[i] = testPNG(t, 10+i, 14, i+1)
	}
	var wg sync.WaitGroup
	results := make([][]ImageResult, 12)
	errs := make([]error, len(results))
	for g := range results {
		wg.Go(func() {
			body, ct := multipartBody(t, part{"image", "x.png", imgs[g%4]}, part{"image", "y.png", imgs[(g+1)%4]})
			resp, err := http.Post(srv.URL+"/v1/predict?top=3", ct, bytes.NewReader(body))
			if err != nil {
				errs[g] = err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				errs[g] = fmt.Errorf("status %d: %s", resp.StatusCode, b)
				return
			}
			var pr PredictResponse
			if err := json.Unmarshal(b, &pr); err != nil {
				errs[g] = err
				return
			}
			results[g] = pr.Images
		})
	}
	wg.Wait()
	for g, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", g, err)
		}
		if len(results[g]) != 2 {
			t.Fatalf("request %d: %d images", g, len(results[g]))
		}
		wantPredictions(t, m, imgs[g%4], results[g][0], 3)
		wantPredictions(t, m, imgs[(g+1)%4], results[g][1], 3)
	}
}

// blockRuns makes h's inferences wait until release is closed, and
// returns a channel that gets a value as each one starts.
func blockRuns(h *Handler) (started chan struct{}, release chan struct{}) {
	started, release = make(chan struct{}, 16), make(chan struct{})
	h.beforeRun = func() {
		started <- struct{}{}
		<-release
	}
	return started, release
}

// post sends one image to url in the background; the response arrives on
// the returned channel.
func post(url string, img []byte) chan *http.Response {
	c := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Post(url+"/v1/predict", "image/png", bytes.NewReader(img))
		if err != nil {
			resp = &http.Response{StatusCode: -1, Status: err.Error(), Body: io.NopCloser(strings.NewReader(""))}
		}
		c <- resp
	}()
	return c
}

func TestBusyServerAnswers503(t *testing.T) {
	h := newHandler(t, writeModel(t), Options{Workers: 1, MaxWaiting: -1})
	started, release := blockRuns(h)
	srv := httptest.NewServer(h)
	defer srv.Close()
	img := testPNG(t, 8, 8, 1)
	first := post(srv.URL, img)
	<-started
	w := do(h, http.MethodPost, "/v1/predict", "image/png", img)
	var e ErrorResponse
	decodeJSON(t, w.Body.Bytes(), &e)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || !strings.Contains(e.Error, "server busy") {
		t.Errorf("second request: status %d, Retry-After %q, error %q; want 503, 1, server busy", w.Code, w.Header().Get("Retry-After"), e.Error)
	}
	close(release)
	resp := <-first
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("first request: %s", resp.Status)
	}
	// With the slot free again, the next request is served.
	if w := do(h, http.MethodPost, "/v1/predict", "image/png", img); w.Code != 200 {
		t.Errorf("after the busy one finished: status %d: %s", w.Code, w.Body)
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	var logBuf syncBuffer
	h := newHandler(t, writeModel(t), Options{Log: &logBuf})
	started, release := blockRuns(h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, ServerOptions{ShutdownTimeout: 20 * time.Second}) }()
	inflight := post(url, testPNG(t, 8, 8, 2))
	<-started
	cancel() // as SIGTERM does in graft serve
	deadline := time.Now().Add(10 * time.Second)
	for !h.draining.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !h.draining.Load() {
		t.Fatal("the handler was not drained after the context was cancelled")
	}
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v while a request was in flight", err)
	default:
	}
	close(release)
	resp := <-inflight
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("in-flight request: %s %s", resp.Status, b)
	}
	var pr PredictResponse
	decodeJSON(t, b, &pr)
	if len(pr.Images) != 1 || len(pr.Images[0].Classes) != 3 {
		t.Errorf("in-flight response %+v", pr)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("the server still accepts connections after shutdown")
	}
	if log := logBuf.String(); !strings.Contains(log, `POST "/v1/predict" 200`) {
		t.Errorf("no request log line for the in-flight request in:\n%s", log)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNewRejectsMismatchedLabels(t *testing.T) {
	l, err := modelio.Open(writeModel(t), modelio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.Labels = []string{"cat", "dog"}
	if _, err := New(l, Options{}); err == nil || !strings.Contains(err.Error(), "2 labels for a model with 3 outputs") {
		t.Errorf("New with 2 labels for 3 outputs: %v", err)
	}
}

// FuzzPredictRequest sends arbitrary bodies with arbitrary Content-Types
// to /v1/predict: every answer is a documented status with a JSON body, a
// success lists probabilities in [0, 1], and nothing panics.
func FuzzPredictRequest(f *testing.F) {
	h := newHandler(f, writeModel(f), Options{MaxBodyBytes: 64 << 10, MaxBatch: 4, MaxPixels: 512 * 512, MaxWaiting: 256})
	good := testPNG(f, 8, 8, 1)
	f.Add(good, "image/png")
	f.Add(good[:40], "application/octet-stream")
	mp, ct := multipartBody(f, part{"image", "a.png", good}, part{"image", "b.png", good})
	f.Add(mp, ct)
	f.Add([]byte("garbage"), "text/plain")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		w := do(h, http.MethodPost, "/v1/predict?top=2", contentType, body)
		switch w.Code {
		case 200:
			var resp PredictResponse
			decodeJSON(t, w.Body.Bytes(), &resp)
			if len(resp.Images) == 0 || len(resp.Images) > 4 {
				t.Fatalf("%d images in a success", len(resp.Images))
			}
			for _, img := range resp.Images {
				if len(img.Classes) != 2 {
					t.Fatalf("%d classes, want 2", len(img.Classes))
				}
				for _, c := range img.Classes {
					if !(c.Probability >= 0 && c.Probability <= 1) {
						t.Fatalf("probability %v", c.Probability)
					}
				}
			}
		case 400, 413, 415, 503:
			var e ErrorResponse
			decodeJSON(t, w.Body.Bytes(), &e)
			if e.Error == "" {
				t.Fatalf("status %d with an empty error", w.Code)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}

func TestWorkerCopiesComputeTheSame(t *testing.T) {
	l, err := modelio.Open(writeModel(t), modelio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEngine(l, 3)
	if err != nil {
		t.Fatal(err)
	}
	img := make([]float32, l.Preprocess.Numel())
	for i := range img {
		img[i] = float32(i%17)/8 - 1
	}
	// Run on each graph in turn: the loaded one and its two copies.
	graphs := []*nn.Graph{<-e.graphs, <-e.graphs, <-e.graphs}
	if graphs[0] != l.Graph || graphs[1] == graphs[0] || graphs[2] == graphs[1] || graphs[2] == graphs[0] {
		t.Fatal("the engine does not hold the loaded graph and two distinct copies")
	}
	var rows [][]float64
	for _, g := range graphs {
		e.graphs <- g // the only free graph
		res, err := e.run(context.Background(), [][]float32{img}, 3, func() {})
		if err != nil {
			t.Fatal(err)
		}
		<-e.graphs
		rows = append(rows, res[0].probs)
	}
	for i := 1; i < 3; i++ {
		for k := range rows[0] {
			if rows[i][k] != rows[0][k] {
				t.Errorf("graph %d class %d: %v, the loaded graph gave %v", i, k, rows[i][k], rows[0][k])
			}
		}
	}
}
