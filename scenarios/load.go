package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
)

// loader carries the state of one Load call: the digest over every byte
// read and the collected problems.
type loader struct {
	dir    string
	fsys   fs.FS // nil: the OS file system
	digest hash.Hash
	errs   fieldErrors
	warns  []string
	// canaryDoc is the Canary's document, for positions of later checks.
	canaryDoc *document
}

// Load reads a scenario file (and the files it references), decodes it
// strictly, applies defaults and validates it. All problems are returned
// at once, joined; each wraps ErrInput and names file, line and field path.
func Load(path string) (*Loaded, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FieldError{File: path, Msg: fmt.Sprintf("reading scenario: %v", err)}
	}
	return LoadBytes(path, data)
}

// LoadFS is Load from a file system (such as the embedded library);
// references resolve inside fsys.
func LoadFS(fsys fs.FS, name string) (*Loaded, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, &FieldError{File: name, Msg: fmt.Sprintf("reading scenario: %v", err)}
	}
	return loadBytes(&loader{dir: path.Dir(name), fsys: fsys}, name, data)
}

// LoadBytes is Load for data already read from path; path names the file in
// errors and anchors relative references.
func LoadBytes(path string, data []byte) (*Loaded, error) {
	return loadBytes(&loader{dir: filepath.Dir(path)}, path, data)
}

func loadBytes(l *loader, path string, data []byte) (*Loaded, error) {
	l.digest = sha256.New()
	l.digest.Write(data)
	docs, err := splitDocuments(path, data)
	if err != nil {
		return nil, err
	}
	out := l.load(path, docs)
	if err := l.errs.err(); err != nil {
		return nil, err
	}
	out.Digest = hex.EncodeToString(l.digest.Sum(nil))
	out.Warnings = l.warns
	return out, nil
}

// load dispatches the documents of the scenario file by kind.
func (l *loader) load(path string, docs []document) *Loaded {
	var scen *document
	var canaries, deployments, templates []document
	for i := range docs {
		d := docs[i]
		var h head
		decodeHead(d, &h)
		switch {
		case h.APIVersion == APIVersion && h.Kind == Kind:
			if scen != nil {
				l.errs.add(path, d.root.Line, d.root.Column, "", "second Scenario document; put one scenario per file")
				continue
			}
			scen = &docs[i]
		case h.Kind == "Canary" && h.APIVersion == flaggerv1.SchemeGroupVersion.String():
			canaries = append(canaries, d)
		case h.Kind == "Deployment" && h.APIVersion == appsv1.SchemeGroupVersion.String():
			deployments = append(deployments, d)
		case h.Kind == "MetricTemplate" && h.APIVersion == flaggerv1.SchemeGroupVersion.String():
			templates = append(templates, d)
		default:
			line, col := d.position("kind")
			l.errs.add(path, line, col, "kind", "unsupported document %q; want %s %s, a flagger.app/v1beta1 Canary or MetricTemplate, or an apps/v1 Deployment", d.describe(), APIVersion, Kind)
		}
	}
	if scen == nil {
		l.errs.add(path, 0, 0, "", "no %s %s document found", APIVersion, Kind)
		return nil
	}
	var s Scenario
	decodeStrict(*scen, scen.root, "", &s, &l.errs)
	out := &Loaded{File: path, Name: s.Metadata.Name, Description: s.Metadata.Description}
	out.Canary = l.canary(*scen, s.Spec.Canary, canaries)
	out.Target = l.target(*scen, s.Spec.Target, deployments, out.Canary)
	out.Templates = l.templates(*scen, s.Spec.MetricTemplates, templates, out.Canary)
	l.resolveSpec(*scen, &s, out)
	return out
}

func decodeHead(d document, h *head) {
	for i := 0; i+1 < len(d.root.Content); i += 2 {
		switch d.root.Content[i].Value {
		case "apiVersion":
			h.APIVersion = d.root.Content[i+1].Value
		case "kind":
			h.Kind = d.root.Content[i+1].Value
		}
	}
}

// source resolves an ObjectSource to a document: a referenced file (which
// must hold exactly one document), the inline node, or nil when empty.
// The document's prefix is the field path of its root within its file.
func (l *loader) source(scen document, src ObjectSource, path string) *document {
	switch {
	case src.File != "" && len(src.Inline) > 0:
		line, col := scen.position(path)
		l.errs.add(scen.file, line, col, path, "set file or inline, not both")
		return nil
	case src.File != "":
		return l.readObjectFile(scen, src.File, path+".file")
	case len(src.Inline) > 0:
		n := lookup(scen.root, path+".inline", false)
		return &document{file: scen.file, root: n, prefix: path + ".inline"}
	}
	return nil
}

func (l *loader) readObjectFile(scen document, rel, path string) *document {
	line, col := scen.position(path)
	name, data, err := l.read(rel)
	if err != nil {
		l.errs.add(scen.file, line, col, path, "reading %s: %v", name, err)
		return nil
	}
	l.digest.Write(data)
	docs, err := splitDocuments(name, data)
	if err != nil {
		l.errs = append(l.errs, asFieldError(name, err))
		return nil
	}
	if len(docs) != 1 {
		l.errs.add(scen.file, line, col, path, "%s holds %d documents, want exactly 1", name, len(docs))
		return nil
	}
	return &docs[0]
}

// read reads a file referenced from the scenario, relative to its folder.
func (l *loader) read(rel string) (string, []byte, error) {
	if l.fsys != nil {
		name := path.Join(l.dir, rel)
		data, err := fs.ReadFile(l.fsys, name)
		return name, data, err
	}
	name := rel
	if !filepath.IsAbs(name) {
		name = filepath.Join(l.dir, rel)
	}
	data, err := os.ReadFile(name)
	return name, data, err
}

func asFieldError(file string, err error) *FieldError {
	if fe, ok := err.(*FieldError); ok { //nolint:errorlint // splitDocuments returns it unwrapped
		return fe
	}
	return &FieldError{File: file, Msg: err.Error()}
}

// pickEmbedded returns the one embedded document of a kind when the
// scenario gives no source for it.
func (l *loader) pickEmbedded(scen document, docs []document, what, path string) *document {
	switch len(docs) {
	case 0:
		return nil
	case 1:
		return &docs[0]
	default:
		line, col := scen.position("spec")
		l.errs.add(scen.file, line, col, path, "the file holds %d %s documents; name one with %s.file or %s.inline", len(docs), what, path, path)
		return nil
	}
}

// decodeObject decodes a Kubernetes object strictly.
func (l *loader) decodeObject(d *document, out any) {
	decodeStrict(*d, d.root, d.prefix, out, &l.errs)
}
