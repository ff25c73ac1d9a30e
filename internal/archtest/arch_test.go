package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/canarysim/canarysim"

// goFiles lists the non-test Go files under the repository root.
func goFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && p != "../..") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func parse(t *testing.T, path string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestOnlyAdapterImportsPrometheus: promql/tsdb APIs move between releases,
// so one package absorbs them (STYLE H7).
func TestOnlyAdapterImportsPrometheus(t *testing.T) {
	for _, p := range goFiles(t) {
		if strings.Contains(filepath.ToSlash(p), "internal/promadapter/") {
			continue
		}
		for _, imp := range parse(t, p).Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/prometheus/prometheus") {
				t.Errorf("%s imports %s; only internal/promadapter may", p, path)
			}
		}
	}
}

// TestDeterministicPackages: engine, sim and fakecluster take time as an
// input and random sources explicitly (STYLE H2, H4).
func TestDeterministicPackages(t *testing.T) {
	banned := map[string][]string{
		"time":         {"Now", "Sleep", "Tick", "After", "NewTimer", "NewTicker", "Since", "Until"},
		"math/rand":    nil, // the whole v1 package: global source
		"math/rand/v2": {"Int", "IntN", "Int64", "Int64N", "Uint32", "Uint64", "Float64", "Float32", "Perm", "Shuffle", "N", "NormFloat64", "ExpFloat64", "Int32", "Int32N", "Uint64N", "UintN", "Uint32N", "Uint"},
	}
	for _, p := range goFiles(t) {
		slash := filepath.ToSlash(p)
		if !(strings.Contains(slash, "/engine/") || strings.Contains(slash, "/sim/") || strings.Contains(slash, "/fakecluster/")) {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]string{} // local name -> import path
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if _, ok := banned[path]; !ok {
				continue
			}
			if path == "math/rand" {
				t.Errorf("%s imports math/rand (global source); use math/rand/v2 with an explicit source", p)
			}
			name := filepath.Base(path)
			if path == "math/rand/v2" {
				name = "rand"
			}
			if imp.Name != nil {
				name = imp.Name.Name
			}
			names[name] = path
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			for _, fn := range banned[names[id.Name]] {
				if sel.Sel.Name == fn {
					t.Errorf("%s uses %s.%s; deterministic packages take time and randomness as inputs", p, names[id.Name], fn)
				}
			}
			return true
		})
	}
}

// TestModulePath guards the import path the packages use.
func TestModulePath(t *testing.T) {
	data, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "module "+module+"\n") {
		t.Errorf("go.mod does not declare module %s", module)
	}
}
