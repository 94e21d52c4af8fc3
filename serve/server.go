package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ServerOptions are the http.Server's limits. Zero fields take the
// defaults in brackets.
type ServerOptions struct {
	ReadHeaderTimeout time.Duration // to read a request's headers (10 s): ends slowloris clients
	ReadTimeout       time.Duration // to read a whole request, body included (60 s)
	WriteTimeout      time.Duration // from the end of the headers to the end of the response (120 s)
	IdleTimeout       time.Duration // a keep-alive connection's wait for its next request (120 s)
	MaxHeaderBytes    int           // request line and headers (64 KiB)
	ShutdownTimeout   time.Duration // how long in-flight requests may take to finish on shutdown (30 s)
}

func (o ServerOptions) withDefaults() ServerOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.ReadHeaderTimeout, 10*time.Second)
	def(&o.ReadTimeout, time.Minute)
	def(&o.WriteTimeout, 2*time.Minute)
	def(&o.IdleTimeout, 2*time.Minute)
	def(&o.ShutdownTimeout, 30*time.Second)
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 64 << 10
	}
	return o
}

// NewServer returns an http.Server for h with the options' timeouts and
// header limit.
func NewServer(h http.Handler, o ServerOptions) *http.Server {
	o = o.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
	}
}

// Serve serves h on ln until ctx is done, then shuts down gracefully: h
// starts answering /readyz with 503, the listener closes, and requests in
// flight get up to o.ShutdownTimeout to finish. It returns nil after a
// clean shutdown, or the error that stopped the server.
func Serve(ctx context.Context, ln net.Listener, h *Handler, o ServerOptions) error {
	o = o.withDefaults()
	srv := NewServer(h, o)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	h.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("serve: shutting down after %v with requests still running: %w", o.ShutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %s: %w", ln.Addr(), err)
	}
	return nil
}
