package main_test

import roomdcmd "github.com/roomd/roomd/cmd/roomd"

// The in-process tests of export and import (export_test.go, package main)
// make their PostgreSQL schemas with the helper the external tests use.
func init() { roomdcmd.PostgresSchema = MustPostgresSchema }
