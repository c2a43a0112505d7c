//go:build !go1.20

package main

import (
	"errors"
	"net/http"
	"time"
)

const canExtendDeadline = false

func extendWriteDeadline(http.ResponseWriter, time.Time) error {
	return errors.New("http.ResponseController needs Go 1.20")
}
