//go:build go1.20

package main

import (
	"net/http"
	"time"
)

const canExtendDeadline = true

// extendWriteDeadline moves this response's write deadline past the server's WriteTimeout.
func extendWriteDeadline(w http.ResponseWriter, deadline time.Time) error {
	return http.NewResponseController(w).SetWriteDeadline(deadline)
}
