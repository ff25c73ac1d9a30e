package scenarios

import (
	"io/fs"
	"slices"
	"strings"

	"github.com/canarysim/canarysim/scenarios/library"
)

// LibraryCanary is the Canary file the built-in scenarios share.
const LibraryCanary = "canary.yaml"

// Library loads the built-in scenario library, sorted by file name.
func Library() ([]*Loaded, error) {
	names, err := fs.Glob(library.FS, "*.yaml")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []*Loaded
	for _, n := range names {
		if n == LibraryCanary {
			continue
		}
		l, err := LoadFS(library.FS, n)
		if err != nil {
			return nil, err
		}
		l.File = "builtin:" + strings.TrimSuffix(n, ".yaml")
		out = append(out, l)
	}
	return out, nil
}
