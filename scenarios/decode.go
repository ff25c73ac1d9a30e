package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsjson "sigs.k8s.io/json"
)

// document is one YAML document of an input file, kept as a node tree so
// any field path can be mapped back to its line and column.
type document struct {
	file   string
	root   *yaml.Node // the document's top-level mapping
	prefix string     // field path of root in its file ("" for a whole document)
}

// head is the part of every Kubernetes-style document we dispatch on.
type head struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// splitDocuments parses every YAML document of data. Empty documents are
// skipped; a syntax error is reported with its line.
func splitDocuments(file string, data []byte) ([]document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []document
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, yamlSyntaxError(file, err)
		}
		if len(n.Content) == 0 || n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null" {
			continue
		}
		root := n.Content[0]
		if root.Kind != yaml.MappingNode {
			return nil, &FieldError{File: file, Line: root.Line, Col: root.Column, Msg: "document is not a mapping"}
		}
		docs = append(docs, document{file: file, root: root})
	}
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlSyntaxError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	fe := &FieldError{File: file, Msg: msg}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
	}
	return fe
}

// toJSON converts a node tree to JSON, the form Kubernetes API types decode.
func toJSON(n *yaml.Node) ([]byte, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

var (
	unknownFieldRE = regexp.MustCompile(`(unknown|duplicate) field "([^"]*)"`)
	typeFieldRE    = regexp.MustCompile(`Go struct field [^.\s]+\.(\S+) of type (\S+)`)
	typeValueRE    = regexp.MustCompile(`cannot unmarshal (\S+) into`)
)

// decodeStrict decodes n (found at path prefix, "" for a whole document)
// into out, rejecting unknown and duplicate fields. Every problem is added
// to errs with the position of the offending node.
func decodeStrict(d document, n *yaml.Node, prefix string, out any, errs *fieldErrors) {
	data, err := toJSON(n)
	if err != nil {
		errs.add(d.file, n.Line, n.Column, prefix, "%v", err)
		return
	}
	strict, err := sigsjson.UnmarshalStrict(data, out, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	for _, se := range strict {
		m := unknownFieldRE.FindStringSubmatch(se.Error())
		if m == nil {
			addAt(d, n, prefix, "", errs, "%v", se)
			continue
		}
		target := lookup(n, m[2], true)
		errs.add(d.file, target.Line, target.Column, joinPath(prefix, m[2]), "%s field", m[1])
	}
	if err != nil {
		if m := typeFieldRE.FindStringSubmatch(err.Error()); m != nil {
			got := "value"
			if v := typeValueRE.FindStringSubmatch(err.Error()); v != nil {
				got = v[1]
			}
			addAt(d, n, prefix, indexPath(n, m[1], got), errs, "cannot use a %s here, want %s", got, m[2])
			return
		}
		addAt(d, n, prefix, "", errs, "%v", err)
	}
}

// addAt records an error at the node found by path (relative to n), or
// at the deepest ancestor that exists.
func addAt(d document, n *yaml.Node, prefix, rel string, errs *fieldErrors, format string, args ...any) {
	target := lookup(n, rel, false)
	errs.add(d.file, target.Line, target.Column, joinPath(prefix, rel), format, args...)
}

func joinPath(prefix, rel string) string {
	switch {
	case prefix == "":
		return rel
	case rel == "":
		return prefix
	case strings.HasPrefix(rel, "["):
		return prefix + rel
	default:
		return prefix + "." + rel
	}
}

// lookup walks a dotted path with [i] indexes ("spec.faults[0].start") from n.
// It returns the deepest node reached: a scalar value, or with atKey the
// key node of the last mapping field, so a position points at a field name.
func lookup(n *yaml.Node, path string, atKey bool) *yaml.Node {
	cur := n
	segs := splitPath(path)
	for i, seg := range segs {
		next, key := child(cur, seg)
		switch {
		case next == nil:
			return cur
		case key != nil && (i == len(segs)-1 && atKey):
			return key
		}
		cur = next
	}
	return cur
}

func splitPath(path string) []string {
	if path == "" {
		return nil
	}
	path = strings.ReplaceAll(path, "[", ".[")
	var out []string
	for _, s := range strings.Split(path, ".") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// child returns the value node for a key or [i] segment, and the key node
// for a mapping key.
func child(n *yaml.Node, seg string) (val, key *yaml.Node) {
	if strings.HasPrefix(seg, "[") {
		i, err := strconv.Atoi(strings.Trim(seg, "[]"))
		if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
			return nil, nil
		}
		return n.Content[i], nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == seg {
			return n.Content[i+1], n.Content[i]
		}
	}
	return nil, nil
}

// position returns the line and column of path (relative to the document
// root) inside a document.
func (d document) position(path string) (int, int) {
	n := lookup(d.root, path, false)
	return n.Line, n.Column
}

// at records an error at path (relative to the document root), naming the
// field by its full path in the file.
func (d document) at(errs *fieldErrors, path, format string, args ...any) {
	line, col := d.position(path)
	errs.add(d.file, line, col, joinPath(d.prefix, path), format, args...)
}

// describe is used in messages about a whole document.
func (d document) describe() string {
	var h head
	data, err := toJSON(d.root)
	if err == nil {
		_ = json.Unmarshal(data, &h)
	}
	return fmt.Sprintf("%s %s", h.APIVersion, h.Kind)
}

// indexPath puts list indexes back into a dotted field path from a JSON
// type error ("webhooks.timeout" → "webhooks[2].timeout"): in every list
// on the way it picks the first item whose value at the rest of the path
// is of the JSON kind got ("number", "string", "bool", "array", "object").
// A path it cannot resolve is returned unchanged.
func indexPath(n *yaml.Node, path, got string) string {
	if p, ok := resolveIndexes(n, splitPath(path), got); ok {
		return strings.ReplaceAll(strings.Join(p, "."), ".[", "[")
	}
	return path
}

func resolveIndexes(n *yaml.Node, segs []string, got string) ([]string, bool) {
	if n.Kind == yaml.SequenceNode {
		for i, item := range n.Content {
			if rest, ok := resolveIndexes(item, segs, got); ok {
				return append([]string{"[" + strconv.Itoa(i) + "]"}, rest...), true
			}
		}
		return nil, false
	}
	if len(segs) == 0 {
		return nil, jsonKind(n) == got
	}
	next, _ := child(n, segs[0])
	if next == nil {
		return nil, false
	}
	rest, ok := resolveIndexes(next, segs[1:], got)
	return append([]string{segs[0]}, rest...), ok
}

// jsonKind is the JSON kind a YAML node decodes to.
func jsonKind(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.SequenceNode:
		return "array"
	case n.Kind == yaml.MappingNode:
		return "object"
	case n.Tag == "!!int" || n.Tag == "!!float":
		return "number"
	case n.Tag == "!!bool":
		return "bool"
	}
	return "string"
}
