#!/usr/bin/env python3
"""A long-poll API, like the jobs endpoint of a CI server, for one terminator to sit in front of.

    POST /api/v4/jobs/request   held up to HOLD_MS; 201 with a job as soon as one is queued,
                                204 (no job) when the hold runs out
    GET  <anything else>        200 with a short body (the repository a job clones)
    POST /enqueue               (control port, 127.0.0.1 only) queues one job

Environment: PORT (8080), CONTROL_PORT (8081), HOLD_MS (the hold, already scaled), GIT_URL
(what a job tells the client to clone).

One JSON object per line on stdout, times in epoch ms:
    {"event":"ready","at":...,"port":8080,"hold_ms":500}
    {"event":"received","at":...,"seq":"7","peer":"172.18.0.3:40112"}
    {"event":"answered","at":...,"seq":"7","status":204,"held_ms":501}
    {"event":"abandoned","at":...,"seq":"7","error":"[Errno 32] Broken pipe"}
    {"event":"queued","at":...,"job":1}
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8080"))
CONTROL_PORT = int(os.environ.get("CONTROL_PORT", "8081"))
HOLD = int(os.environ["HOLD_MS"]) / 1000.0
GIT_URL = os.environ.get("GIT_URL", "")

lock = threading.Lock()
jobs_ready = threading.Condition(lock)
queue = []
next_job = [1]
out = threading.Lock()


def emit(event, **fields):
    line = json.dumps({"event": event, "at": round(time.time() * 1000, 3), **fields}, separators=(",", ":"))
    with out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle(self):
        # A proxy cutting a kept-alive connection is part of the scenarios, not an error here.
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass


class Api(Quiet):

    def reply(self, status, body=b"", ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.wfile.flush()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if not self.path.startswith("/api/v4/jobs/request"):
            return self.reply(404, b'{"message":"404 Not Found"}')
        seq = self.headers.get("X-Poll-Seq", "")
        peer = "%s:%d" % self.client_address[:2]
        emit("received", seq=seq, peer=peer)
        t0 = time.monotonic()
        deadline = t0 + HOLD
        job = None
        with jobs_ready:
            while not queue:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                jobs_ready.wait(left)
            if queue:
                job = queue.pop(0)
        held = round((time.monotonic() - t0) * 1000)
        try:
            if job is None:
                self.reply(204)
            else:
                self.reply(201, json.dumps(job).encode())
        except OSError as e:
            if job is not None:
                with jobs_ready:
                    queue.insert(0, job)
                    jobs_ready.notify()
            emit("abandoned", seq=seq, held_ms=held, error=str(e))
            self.close_connection = True
            return
        emit("answered", seq=seq, status=204 if job is None else 201, held_ms=held, **({"job": job["id"]} if job else {}))

    def do_GET(self):
        body = b"# a repository\n"
        emit("served", path=self.path, peer="%s:%d" % self.client_address[:2])
        self.reply(200, body, "text/plain")


class Control(Quiet):

    def do_POST(self):
        with jobs_ready:
            job = {"id": next_job[0], "git_url": GIT_URL}
            next_job[0] += 1
            queue.append(job)
            jobs_ready.notify()
        emit("queued", job=job["id"])
        body = json.dumps(job).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    api = ThreadingHTTPServer(("0.0.0.0", PORT), Api)
    api.daemon_threads = True
    control = ThreadingHTTPServer(("127.0.0.1", CONTROL_PORT), Control)
    control.daemon_threads = True
    threading.Thread(target=control.serve_forever, daemon=True).start()
    emit("ready", port=PORT, hold_ms=round(HOLD * 1000))
    api.serve_forever()


if __name__ == "__main__":
    main()
