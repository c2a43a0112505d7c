#!/usr/bin/env python3
"""netrepro-backend: TLS/HTTP listeners that record what each connection sends first.

    netrepro-backend PORT:MODE [PORT:MODE ...]

MODE is one of
    http            plain HTTP/1.x, answers 200
    tls             TLS, then HTTP/1.x, answers 200
    proxy-v2+tls    a PROXY protocol v2 header, then TLS, then HTTP
    proxy-v2+http   a PROXY protocol v2 header, then HTTP
    tcp             records the first bytes and closes

One JSON object per line on stdout:
    {"event":"listen","port":1443,"mode":"tls"}
    {"event":"conn","port":1443,"peer":"172.18.0.3:41234","first_bytes":"0d0a0d0a...","proxy":null}
    {"event":"tls-error","port":1443,"peer":"...","error":"..."}
    {"event":"response","port":2443,"peer":"...","status":200,"client":"172.18.0.4:5678"}

The certificate is /certs/server.pem + /certs/server.key, generated at start if missing.
"""
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

CERT = os.environ.get("BACKEND_CERT", "/certs/server.pem")
KEY = os.environ.get("BACKEND_KEY", "/certs/server.key")
PROXY_V2_SIG = bytes.fromhex("0d0a0d0a000d0a515549540a")
PEEK_BYTES = 64
lock = threading.Lock()


def emit(**fields):
    fields["t"] = round(time.time(), 6)
    with lock:
        sys.stdout.write(json.dumps(fields, separators=(",", ":")) + "\n")
        sys.stdout.flush()


def ensure_cert():
    if os.path.exists(CERT) and os.path.exists(KEY):
        return
    os.makedirs(os.path.dirname(CERT), exist_ok=True)
    name = os.environ.get("BACKEND_CN", socket.gethostname())
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=" + name, "-addext", "subjectAltName=DNS:" + name,
         "-keyout", KEY, "-out", CERT],
        check=True, capture_output=True)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed inside the PROXY header")
        buf += chunk
    return buf


def read_proxy_v2(sock):
    head = recv_exact(sock, 16)
    if head[:12] != PROXY_V2_SIG:
        raise ValueError("expected a PROXY v2 signature, got " + head[:12].hex())
    fam = head[13]
    length = struct.unpack("!H", head[14:16])[0]
    body = recv_exact(sock, length)
    if fam >> 4 == 0x1 and length >= 12:  # AF_INET
        src = socket.inet_ntop(socket.AF_INET, body[0:4])
        dst = socket.inet_ntop(socket.AF_INET, body[4:8])
        sport, dport = struct.unpack("!HH", body[8:12])
        return {"version": 2, "src": "%s:%d" % (src, sport), "dst": "%s:%d" % (dst, dport)}
    if fam >> 4 == 0x2 and length >= 36:  # AF_INET6
        src = socket.inet_ntop(socket.AF_INET6, body[0:16])
        dst = socket.inet_ntop(socket.AF_INET6, body[16:32])
        sport, dport = struct.unpack("!HH", body[32:36])
        return {"version": 2, "src": "[%s]:%d" % (src, sport), "dst": "[%s]:%d" % (dst, dport)}
    return {"version": 2, "src": None, "dst": None}


def peek_first(sock):
    sock.settimeout(2.0)
    try:
        data = sock.recv(PEEK_BYTES, socket.MSG_PEEK)
    except socket.timeout:
        return b""
    deadline = time.time() + 0.05
    while 0 < len(data) < PEEK_BYTES and time.time() < deadline:
        time.sleep(0.005)
        data = sock.recv(PEEK_BYTES, socket.MSG_PEEK)
    return data


def serve_http(conn, port, peer, client):
    conn.settimeout(10.0)
    req = b""
    while b"\r\n\r\n" not in req and len(req) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            return
        req += chunk
    line = req.split(b"\r\n", 1)[0].decode("latin-1")
    body = ("backend port=%d client=%s request=%s\n" % (port, client, line)).encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    emit(event="response", port=port, peer=peer, status=200, client=client, request=line)


def handle(conn, port, mode, ctx):
    peer = "%s:%d" % conn.getpeername()[:2]
    try:
        first = peek_first(conn)
        proxy = None
        if mode.startswith("proxy-v2+"):
            if first[:12] == PROXY_V2_SIG:
                proxy = read_proxy_v2(conn)
        emit(event="conn", port=port, peer=peer, first_bytes=first.hex(), proxy=proxy)
        if mode == "tcp":
            return
        if mode.startswith("proxy-v2+") and proxy is None:
            emit(event="proxy-error", port=port, peer=peer, error="no PROXY v2 header")
            return
        client = proxy["src"] if proxy else peer
        conn.settimeout(10.0)
        if mode.endswith("tls"):
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError) as e:
                emit(event="tls-error", port=port, peer=peer, error=str(e))
                return
        serve_http(conn, port, peer, client)
    except Exception as e:  # one connection's trouble never stops the listener
        emit(event="error", port=port, peer=peer, error="%s: %s" % (type(e).__name__, e))
    finally:
        try:
            conn.close()
        except OSError:
            pass


def bind(port, mode):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(128)
    emit(event="listen", port=port, mode=mode)
    return srv


def serve(srv, port, mode, ctx):
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, port, mode, ctx), daemon=True).start()


def main(argv):
    modes = {"http", "tls", "proxy-v2+tls", "proxy-v2+http", "tcp"}
    specs = []
    for arg in argv:
        port, _, mode = arg.partition(":")
        if not port.isdigit() or mode not in modes:
            sys.stderr.write("bad listener %r: expected PORT:MODE with MODE in %s\n" % (arg, sorted(modes)))
            return 2
        specs.append((int(port), mode))
    if not specs:
        sys.stderr.write(__doc__)
        return 2
    ctx = None
    if any(m.endswith("tls") for _, m in specs):
        ensure_cert()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(CERT, KEY)
    threads = [threading.Thread(target=serve, args=(bind(p, m), p, m, ctx), daemon=True) for p, m in specs]
    for t in threads:
        t.start()
    emit(event="ready", ports=[p for p, _ in specs])
    for t in threads:
        t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
