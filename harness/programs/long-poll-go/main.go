// long-poll-go: a runner-like client. It long-polls a jobs endpoint in a loop over one
// keep-alive connection (net/http's Transport), and prints one JSON object per line for every
// response: the local port, whether the connection was reused, and the SHA-256 fingerprint of
// the peer certificate. When a job arrives, it writes the certificates of that connection's
// verified chains to a CA file (as GitLab Runner builds CI_SERVER_TLS_CA_FILE) and "clones" the
// job's repository on a fresh connection that trusts only that file: with curl --cacert, or
// with a second TLS connection of its own.
//
// -max-conn-age is the proposed fix: net/http has no such setting, so the client records each
// connection's birth at dial and, once the connection it just used is idle in the pool and
// older than the limit, closes the idle connections. A connection therefore lives at most the
// limit plus one long poll.
//
// TLS sessions: net/http resumes none unless the TLS config has a ClientSessionCache, as the
// runner's has not; -session-cache on gives it one. On a resumed connection Go reports the
// certificates of the session's original handshake, and so does `fingerprint`.
//
// Exit: 0 a job came and every clone succeeded; 3 a clone failed; 2 no job within -timeout;
// 4 too many consecutive errors; 64 bad usage.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

var out = json.NewEncoder(os.Stdout)

func emit(event string, fields map[string]any) {
	rec := map[string]any{"event": event, "at": float64(time.Now().UnixNano()) / 1e6}
	for k, v := range fields {
		rec[k] = v
	}
	_ = out.Encode(rec)
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

func localPort(c net.Conn) int {
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// births remembers when each connection (by local port) was dialled.
type births struct {
	mu sync.Mutex
	at map[int]time.Time
}

func (b *births) add(port int) {
	b.mu.Lock()
	b.at[port] = time.Now()
	b.mu.Unlock()
}

func (b *births) age(port int) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t, ok := b.at[port]; ok {
		return time.Since(t)
	}
	return -1
}

func loadPool(files []string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("%s: no PEM certificate", f)
		}
	}
	return pool, nil
}

// caChain is every certificate of the connection's verified chains, once each, leaf first.
func caChain(state *tls.ConnectionState) ([]byte, []string, []string) {
	var buf bytes.Buffer
	var fps, subjects []string
	seen := map[string]bool{}
	for _, chain := range state.VerifiedChains {
		for _, c := range chain {
			fp := fingerprint(c)
			if seen[fp] {
				continue
			}
			seen[fp] = true
			_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
			fps = append(fps, fp)
			subjects = append(subjects, c.Subject.String())
		}
	}
	return buf.Bytes(), fps, subjects
}

type job struct {
	ID     int    `json:"id"`
	GitURL string `json:"git_url"`
}

func cloneCurl(gitURL, caFile string) map[string]any {
	cmd := exec.Command("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert", caFile, gitURL+"/info/refs?service=git-upload-pack")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return map[string]any{"method": "curl", "ok": false, "error": err.Error()}
		}
		code = ee.ExitCode()
	}
	return map[string]any{"method": "curl", "ok": code == 0 && stdout.String() == "200", "exit": code, "http_code": stdout.String(), "error": strings.TrimSpace(stderr.String())}
}

func cloneTLS(gitURL string, pool *x509.CertPool) map[string]any {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := client.Get(gitURL + "/info/refs?service=git-upload-pack")
	if err != nil {
		return map[string]any{"method": "tls", "ok": false, "error": err.Error()}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	rec := map[string]any{"method": "tls", "ok": resp.StatusCode == 200, "status": resp.StatusCode}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		rec["fingerprint"] = fingerprint(resp.TLS.PeerCertificates[0])
	}
	return rec
}

func main() {
	url := flag.String("url", "", "the long-poll endpoint (POST)")
	roots := flag.String("roots", "", "comma-separated PEM files the client trusts (its system trust store)")
	maxAge := flag.Duration("max-conn-age", 0, "close a connection once it is older than this (0: never)")
	clones := flag.String("clone", "curl", "how to clone when a job comes: curl, tls, or both (curl,tls)")
	caFile := flag.String("ca-file", "/tmp/long-poll/ca-chain.pem", "where to write the CA file built from the connection")
	timeout := flag.Duration("timeout", time.Minute, "give up when no job came within this long")
	retryDelay := flag.Duration("retry-delay", 100*time.Millisecond, "wait after a failed request")
	sessionCache := flag.String("session-cache", "off", "on: resume TLS sessions (tls.NewLRUClientSessionCache); off: as net/http by default")
	flag.Parse()
	if *url == "" || *roots == "" {
		fmt.Fprintln(os.Stderr, "usage: long-poll-go -url URL -roots CA.pem[,CA.pem] [-max-conn-age D] [-clone curl,tls]")
		os.Exit(64)
	}
	pool, err := loadPool(strings.Split(*roots, ","))
	if err != nil {
		fmt.Fprintln(os.Stderr, "roots:", err)
		os.Exit(64)
	}

	born := &births{at: map[int]time.Time{}}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				born.add(localPort(c))
				emit("dial", map[string]any{"local_port": localPort(c), "remote": addr})
			}
			return c, err
		},
		TLSClientConfig:     &tls.Config{RootCAs: pool, ClientSessionCache: cache(*sessionCache)},
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConns:        10,
		IdleConnTimeout:     0,
	}
	client := &http.Client{Transport: tr}
	emit("start", map[string]any{"client": "go", "version": runtime.Version(), "max_conn_age_ms": maxAge.Milliseconds(), "session_cache": *sessionCache})

	deadline := time.Now().Add(*timeout)
	failures := 0
	for seq := 1; time.Now().Before(deadline); seq++ {
		var conn net.Conn
		var reused bool
		idle := make(chan error, 1)
		trace := &httptrace.ClientTrace{
			GotConn:     func(i httptrace.GotConnInfo) { conn, reused = i.Conn, i.Reused },
			PutIdleConn: func(err error) { idle <- err },
		}
		ctx, cancel := context.WithDeadline(httptrace.WithClientTrace(context.Background(), trace), deadline)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, *url, bytes.NewReader([]byte(`{"token":"runner"}`)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Poll-Seq", strconv.Itoa(seq))
		resp, err := client.Do(req)
		rec := map[string]any{"seq": seq, "reused": reused}
		if conn != nil {
			rec["local_port"] = localPort(conn)
			rec["conn_age_ms"] = born.age(localPort(conn)).Milliseconds()
		}
		if err != nil {
			cancel()
			if time.Now().After(deadline) {
				break
			}
			rec["error"] = err.Error()
			emit("error", rec)
			if failures++; failures >= 20 {
				os.Exit(4)
			}
			time.Sleep(*retryDelay)
			continue
		}
		failures = 0
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		rec["status"] = resp.StatusCode
		rec["job"] = resp.StatusCode == http.StatusCreated
		if resp.TLS != nil {
			rec["resumed"] = resp.TLS.DidResume
			if len(resp.TLS.PeerCertificates) > 0 {
				rec["fingerprint"] = fingerprint(resp.TLS.PeerCertificates[0])
				rec["subject"] = resp.TLS.PeerCertificates[0].Subject.String()
			}
		}
		emit("response", rec)

		if resp.StatusCode == http.StatusCreated {
			var j job
			if err := json.Unmarshal(body, &j); err != nil || j.GitURL == "" {
				emit("error", map[string]any{"seq": seq, "error": fmt.Sprintf("bad job %q", body)})
				os.Exit(4)
			}
			pemData, fps, subjects := caChain(resp.TLS)
			if err := os.MkdirAll(dirOf(*caFile), 0o755); err == nil {
				err = os.WriteFile(*caFile, pemData, 0o644)
			}
			emit("ca-file", map[string]any{"path": *caFile, "from_local_port": rec["local_port"], "fingerprints": fps, "subjects": subjects})
			clonePool := x509.NewCertPool()
			clonePool.AppendCertsFromPEM(pemData)
			failed := false
			for _, m := range strings.Split(*clones, ",") {
				var r map[string]any
				switch strings.TrimSpace(m) {
				case "curl":
					r = cloneCurl(j.GitURL, *caFile)
				case "tls":
					r = cloneTLS(j.GitURL, clonePool)
				default:
					fmt.Fprintln(os.Stderr, "unknown clone method", m)
					os.Exit(64)
				}
				r["job"] = j.ID
				emit("clone", r)
				if ok, _ := r["ok"].(bool); !ok {
					failed = true
				}
			}
			if failed {
				os.Exit(3)
			}
			os.Exit(0)
		}

		// The fix: once the connection just used is back in the pool, retire it if it is too old.
		if *maxAge > 0 && conn != nil && !resp.Close {
			select {
			case <-idle:
			case <-time.After(time.Second):
			}
			port := localPort(conn)
			if age := born.age(port); age >= *maxAge {
				tr.CloseIdleConnections()
				emit("retire", map[string]any{"local_port": port, "age_ms": age.Milliseconds()})
			}
		}
	}
	emit("timeout", map[string]any{"after_ms": timeout.Milliseconds()})
	os.Exit(2)
}

func cache(mode string) tls.ClientSessionCache {
	if mode == "on" {
		return tls.NewLRUClientSessionCache(64)
	}
	return nil
}

func dirOf(p string) string {
	if i := strings.LastIndex(p, "/"); i > 0 {
		return p[:i]
	}
	return "."
}
