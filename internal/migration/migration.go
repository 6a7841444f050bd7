// Package migration reads a store's embedded, versioned schema migrations:
// SQL files named NNNN_description.sql, numbered 1, 2, 3... without gaps.
// Each store applies them its own way (sqlite: user_version; postgres: a
// version table under an advisory lock).
package migration

import (
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Step is one migration: applying it brings the schema to Version.
type Step struct {
	Version int
	Name    string // the file's name, e.g. 0002_nonces.sql
	SQL     string
}

// Load returns the migrations of fsys whose paths match pattern, in
// version order. It fails on a file not named NNNN_description.sql and on
// versions that do not run 1, 2, 3... without gaps.
func Load(fsys fs.FS, pattern string) ([]Step, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	var out []Step
	for _, name := range names {
		base := path.Base(name)
		prefix, _, found := strings.Cut(base, "_")
		v, err := strconv.Atoi(prefix)
		if !found || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: want a name NNNN_description.sql", base)
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Step{Version: v, Name: base, SQL: string(text)})
	}
	slices.SortFunc(out, func(a, b Step) int { return cmp.Compare(a.Version, b.Version) })
	for i, s := range out {
		if s.Version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", s.Name, i+1)
		}
	}
	return out, nil
}
