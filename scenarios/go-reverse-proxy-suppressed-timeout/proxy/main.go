// The reverse proxy of the incident: an http.Server with a ReadTimeout and a WriteTimeout
// around httputil.NewSingleHostReverseProxy, behind a middleware that logs the start and the
// end of every request on stdout. Errors (the server's, the reverse proxy's) go to stderr.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"
)

func main() {
	listen := flag.String("listen", ":8000", "address to listen on")
	upstream := flag.String("upstream", "http://upstream:8080", "where requests go")
	readTimeout := flag.Duration("read-timeout", 5*time.Second, "http.Server ReadTimeout (0: none)")
	writeTimeout := flag.Duration("write-timeout", 10*time.Second, "http.Server WriteTimeout (0: none)")
	streamPrefix := flag.String("stream-prefix", "", "paths under this prefix get their own write deadline through http.ResponseController (Go 1.20+)")
	streamWriteTimeout := flag.Duration("stream-write-timeout", time.Minute, "the write deadline of streaming paths, from the start of the request")
	errorLog := flag.Bool("error-log", false, "give the reverse proxy an ErrorLog and an ErrorHandler that log every error on stderr")
	detach := flag.Bool("detach-context", false, "hand the reverse proxy a request whose context is not the server's")
	flag.Parse()

	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatalf("proxy: -upstream: %v", err)
	}
	if *streamPrefix != "" && !canExtendDeadline {
		log.Fatalf("proxy: -stream-prefix needs http.ResponseController, which this Go (%s) does not have (Go 1.20+)", runtime.Version())
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	if *errorLog {
		proxy.ErrorLog = log.New(os.Stderr, "reverseproxy: ", log.Lmicroseconds)
		proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			proxy.ErrorLog.Printf("error handler: %s %s: %v", r.Method, r.URL.Path, err)
			w.WriteHeader(http.StatusBadGateway)
		}
	}

	var handler http.Handler = proxy
	if *detach {
		inner := handler
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner.ServeHTTP(w, r.WithContext(context.Background()))
		})
	}
	if *streamPrefix != "" {
		inner := handler
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, *streamPrefix) {
				if err := extendWriteDeadline(w, time.Now().Add(*streamWriteTimeout)); err != nil {
					log.Printf("proxy: extending the write deadline of %s: %v", r.URL.Path, err)
				}
			}
			inner.ServeHTTP(w, r)
		})
	}

	access := log.New(os.Stdout, "", log.Lmicroseconds)
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		access.Printf("start %s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
		sw := &statusWriter{ResponseWriter: w}
		handler.ServeHTTP(sw, r)
		access.Printf("end %s %s status %d after %.2fs", r.Method, r.URL.Path, sw.status, time.Since(start).Seconds())
	})

	srv := &http.Server{
		Addr:         *listen,
		Handler:      logged,
		ReadTimeout:  *readTimeout,
		WriteTimeout: *writeTimeout,
	}
	log.Printf("proxy: listening on %s for %s (ReadTimeout %s, WriteTimeout %s, stream prefix %q, error log %v, detached context %v, %s)",
		*listen, target, *readTimeout, *writeTimeout, *streamPrefix, *errorLog, *detach, runtime.Version())
	log.Fatal(srv.ListenAndServe())
}

// statusWriter records the status for the access log, as logging middleware does. It passes
// Flush on (streaming needs it) and unwraps for http.ResponseController; like most such
// wrappers, it does not implement the deprecated http.CloseNotifier.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
