// docker-attach: what a CI runner does with a remote Docker engine. It creates a job container,
// attaches to its output over the engine's TLS API (POST /containers/{id}/attach with
// "Upgrade: tcp"), starts it, and prints every line with the time it arrived. TCP keepalive on
// the attach connection is switchable, as Go's defaults changed under the runners of the time.
//
// Output (stdout), one line each:
//
//	<RFC 3339 time> <stdout|stderr> <the job's line>
//
// Events on stderr: "attach: ..." lines. Exit codes: 0 the stream ended (the job finished),
// 2 the client's own deadline passed with the stream still open, 1 an error.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

var (
	host       = flag.String("host", "", "engine address, host:port")
	serverName = flag.String("servername", "", "TLS server name to verify (default: the host)")
	certDir    = flag.String("certs", "/certs", "folder with ca.pem, cert.pem, key.pem")
	image      = flag.String("image", "busybox", "job image")
	script     = flag.String("script", "", "the job: a shell script run with sh -c")
	name       = flag.String("name", "", "the job container's name")
	env        = flag.String("env", "", "job environment, NAME=VALUE separated by commas")
	keepalive  = flag.String("keepalive", "off", `TCP keepalive on the attach connection: "off" (no SO_KEEPALIVE, Go < 1.12 with TLS) or a period such as "15s" (idle and interval alike)`)
	kaIdle     = flag.Duration("keepalive-idle", 0, "TCP_KEEPIDLE, when set apart from the interval (needs -keepalive other than off)")
	kaInterval = flag.Duration("keepalive-interval", 0, "TCP_KEEPINTVL, when set apart from the idle time")
	kaCount    = flag.Int("keepalive-count", 0, "TCP_KEEPCNT (0: the kernel's)")
	deadline   = flag.Duration("deadline", time.Hour, "give up waiting for the end of the stream after this long")
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "attach: "+format+"\n", args...)
}

func tlsConfig() (*tls.Config, error) {
	ca, err := os.ReadFile(*certDir + "/ca.pem")
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("no CA certificate in ca.pem")
	}
	cert, err := tls.LoadX509KeyPair(*certDir+"/cert.pem", *certDir+"/key.pem")
	if err != nil {
		return nil, err
	}
	sn := *serverName
	if sn == "" {
		sn, _, _ = net.SplitHostPort(*host)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: sn}, nil
}

// dialer builds the net.Dialer whose keepalive settings the attach connection gets.
func dialer() (*net.Dialer, string, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if *keepalive == "off" {
		d.KeepAlive = -1 // no SO_KEEPALIVE at all: what the Docker client got over TLS before Go 1.12
		return d, "off (SO_KEEPALIVE not set)", nil
	}
	period, err := time.ParseDuration(*keepalive)
	if err != nil {
		return nil, "", fmt.Errorf("-keepalive: %w", err)
	}
	cfg := net.KeepAliveConfig{Enable: true, Idle: period, Interval: period, Count: *kaCount}
	if *kaIdle > 0 {
		cfg.Idle = *kaIdle
	}
	if *kaInterval > 0 {
		cfg.Interval = *kaInterval
	}
	if cfg.Count == 0 {
		cfg.Count = -1 // the kernel's default
	}
	d.KeepAliveConfig = cfg
	return d, fmt.Sprintf("on (idle %s, interval %s, count %d)", cfg.Idle, cfg.Interval, *kaCount), nil
}

func api(client *http.Client, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "https://docker/v1.41"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return out, fmt.Errorf("%s %s: %s: %s", method, path, res.Status, strings.TrimSpace(string(out)))
	}
	return out, nil
}

func run() int {
	flag.Parse()
	tc, err := tlsConfig()
	if err != nil {
		logf("error: %v", err)
		return 1
	}
	// API calls other than the attach use their own connections, as the Docker client does.
	// A fresh connection per call: a pooled one could sit idle through the cut and hang.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   tc,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, *host)
		},
	}}

	var envList []string
	if *env != "" {
		envList = strings.Split(*env, ",")
	}
	created, err := api(client, "POST", "/containers/create?name="+*name, map[string]any{
		"Image": *image, "Cmd": []string{"sh", "-c", *script}, "Env": envList,
		"AttachStdout": true, "AttachStderr": true, "Tty": false,
	})
	if err != nil {
		logf("error: create: %v", err)
		return 1
	}
	var c struct{ Id string }
	_ = json.Unmarshal(created, &c)

	d, kaText, err := dialer()
	if err != nil {
		logf("error: %v", err)
		return 1
	}
	conn, err := tls.DialWithDialer(d, "tcp", *host, tc)
	if err != nil {
		logf("error: dial: %v", err)
		return 1
	}
	logf("connected %s -> %s, keepalive %s", conn.LocalAddr(), conn.RemoteAddr(), kaText)
	fmt.Fprintf(conn, "POST /v1.41/containers/%s/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", c.Id)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		logf("error: attach: %v %v", err, res)
		return 1
	}
	logf("attached to %s (%s)", c.Id[:12], res.Status)
	if _, err := api(client, "POST", "/containers/"+c.Id+"/start", nil); err != nil {
		logf("error: start: %v", err)
		return 1
	}
	logf("job started")

	done := make(chan error, 1)
	lines := 0
	go func() {
		hdr := make([]byte, 8)
		partial := map[byte]string{}
		for {
			if _, err := io.ReadFull(br, hdr); err != nil {
				done <- err
				return
			}
			size := binary.BigEndian.Uint32(hdr[4:])
			payload := make([]byte, size)
			if _, err := io.ReadFull(br, payload); err != nil {
				done <- err
				return
			}
			stream := map[byte]string{1: "stdout", 2: "stderr"}[hdr[0]]
			text := partial[hdr[0]] + string(payload)
			parts := strings.Split(text, "\n")
			partial[hdr[0]] = parts[len(parts)-1]
			for _, l := range parts[:len(parts)-1] {
				lines++
				fmt.Printf("%s %s %s\n", time.Now().UTC().Format(time.RFC3339Nano), stream, l)
			}
		}
	}()
	started := time.Now()
	select {
	case err := <-done:
		if errors.Is(err, io.EOF) {
			logf("stream ended after %s, %d lines", time.Since(started).Round(time.Millisecond), lines)
		} else {
			logf("stream failed after %s, %d lines: %v", time.Since(started).Round(time.Millisecond), lines, err)
			return 1
		}
	case <-time.After(*deadline):
		logf("no end of stream within %s (%d lines); the connection is still open", *deadline, lines)
		return 2
	}
	if out, err := api(client, "POST", "/containers/"+c.Id+"/wait", nil); err == nil {
		var w struct{ StatusCode int }
		_ = json.Unmarshal(out, &w)
		logf("job exited with %d", w.StatusCode)
	}
	return 0
}

func main() { os.Exit(run()) }
