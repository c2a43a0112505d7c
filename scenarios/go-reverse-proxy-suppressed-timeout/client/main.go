// A Go HTTP client: prints the response status, then the body as it arrives, and the error
// that ended the body, if any. Exit 0 only for a 2xx status and a body read to its end.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// slowBody yields size bytes at about rate bytes per second.
type slowBody struct {
	left, rate int
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	chunk := b.rate / 10
	if chunk < 1 {
		chunk = 1
	}
	if chunk > b.left {
		chunk = b.left
	}
	if chunk > len(p) {
		chunk = len(p)
	}
	time.Sleep(100 * time.Millisecond)
	copy(p, bytes.Repeat([]byte("u"), chunk))
	b.left -= chunk
	return chunk, nil
}

func main() {
	url := flag.String("url", "", "the URL to fetch")
	upload := flag.Int("upload-bytes", 0, "send a body of this many bytes with POST")
	rate := flag.Int("upload-rate", 10240, "bytes per second of the upload")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "client: -url is required")
		os.Exit(2)
	}
	var req *http.Request
	var err error
	if *upload > 0 {
		req, err = http.NewRequest(http.MethodPost, *url, &slowBody{left: *upload, rate: *rate})
		if err == nil {
			req.ContentLength = int64(*upload)
		}
	} else {
		req, err = http.NewRequest(http.MethodGet, *url, nil)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "client: %v\n", err)
		os.Exit(2)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(os.Stderr, "client: request failed after %.2fs: %v\n", time.Since(start).Seconds(), err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	fmt.Printf("status: %s\n", resp.Status)
	n, err := io.Copy(os.Stdout, resp.Body)
	if err != nil {
		fmt.Fprintf(os.Stderr, "client: body ended after %d bytes in %.2fs: %v\n", n, time.Since(start).Seconds(), err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "client: body complete, %d bytes in %.2fs\n", n, time.Since(start).Seconds())
	if resp.StatusCode/100 != 2 {
		fmt.Fprintf(os.Stderr, "client: the server answered %s\n", resp.Status)
		os.Exit(1)
	}
}
