// The upstream service: a long streamed download and a slow upload sink. Each request ends
// with one log line that says how far it got and what its request context reported.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", ":8080", "address to listen on")
	lines := flag.Int("lines", 20, "lines in a streamed response")
	interval := flag.Duration("interval", time.Second, "pause between two lines of a streamed response")
	flag.Parse()
	logger := log.New(os.Stdout, "", log.Lmicroseconds)

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })

	// GET /stream: one line every interval, each flushed to the client at once.
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.Header().Set("Content-Type", "text/plain")
		flusher := w.(http.Flusher)
		sent := 0
		var writeErr error
		tick := time.NewTicker(*interval)
		defer tick.Stop()
		for sent < *lines {
			if _, writeErr = fmt.Fprintf(w, "line %d of %d\n", sent+1, *lines); writeErr != nil {
				break
			}
			flusher.Flush()
			sent++
			if sent == *lines {
				break
			}
			select {
			case <-tick.C:
			case <-r.Context().Done():
			}
			if r.Context().Err() != nil {
				break
			}
		}
		logger.Printf("stream ended after %d of %d lines in %.2fs; write error: %v; request context: %v",
			sent, *lines, time.Since(start).Seconds(), writeErr, contextErr(r.Context()))
	})

	// POST /upload: reads the whole body and says how much arrived.
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		n, err := io.Copy(io.Discard, r.Body)
		logger.Printf("upload ended after %d bytes in %.2fs; read error: %v; request context: %v",
			n, time.Since(start).Seconds(), err, contextErr(r.Context()))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "received %d bytes\n", n)
	})

	log.Printf("upstream: listening on %s (%d lines, one every %s)", *listen, *lines, *interval)
	log.Fatal(http.ListenAndServe(*listen, mux))
}

// contextErr waits a moment for a cancellation that is on its way: the server notices a closed
// connection from a background read, a little after the handler's last write failed.
func contextErr(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-time.After(200 * time.Millisecond):
	}
	return ctx.Err()
}
