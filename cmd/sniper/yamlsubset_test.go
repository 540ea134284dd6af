package main

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// parseYAMLSubset reads the part of YAML that the repository's own YAML files
// (.goreleaser.yaml, the Prometheus rules) are written in, so that tests can
// check them without a YAML library in go.mod: block mappings and sequences
// by indentation (spaces only), "- key: value" items, plain, single- and
// double-quoted scalars, flow sequences of scalars ([a, b]), literal and folded
// block scalars (| and >), and # comments. Scalars stay strings; mappings are
// map[string]any and sequences []any. Anything else (tabs, anchors, aliases,
// tags, flow mappings, duplicate keys, bad indentation, an unclosed quote) is
// an error naming the line: a file it cannot read is not well-formed for the
// purpose of these tests.
func parseYAMLSubset(data string) (any, error) {
	p := &yamlParser{lines: strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n")}
	indent, _, ok, err := p.peek()
	if err != nil || !ok {
		return nil, err
	}
	if indent != 0 {
		return nil, fmt.Errorf("line %d: the document must start at column 1", p.i+1)
	}
	v, err := p.node(0)
	if err != nil {
		return nil, err
	}
	if _, _, ok, err := p.peek(); err != nil || ok {
		return nil, cmp.Or(err, fmt.Errorf("line %d: indented less than its block, or more than the block it ends", p.i+1))
	}
	return v, nil
}

type yamlParser struct {
	lines []string
	i     int // the next line to read
}

// peek returns the next line that holds something, its indentation and its
// text without the comment, skipping blank and comment lines.
func (p *yamlParser) peek() (indent int, text string, ok bool, err error) {
	for ; p.i < len(p.lines); p.i++ {
		line := p.lines[p.i]
		trimmed := strings.TrimLeft(line, " ")
		if strings.HasPrefix(trimmed, "\t") {
			return 0, "", false, fmt.Errorf("line %d: a tab in the indentation", p.i+1)
		}
		text, err := stripComment(trimmed)
		if err != nil {
			return 0, "", false, fmt.Errorf("line %d: %w", p.i+1, err)
		}
		if text != "" {
			return len(line) - len(trimmed), text, true, nil
		}
	}
	return 0, "", false, nil
}

// stripComment drops a # comment outside quotes and the spaces before it.
func stripComment(s string) (string, error) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '"' || c == '\'':
			if i == 0 || strings.ContainsRune(" [,:-", rune(s[i-1])) {
				quote = c
			}
		case c == '#' && (i == 0 || s[i-1] == ' '):
			return strings.TrimRight(s[:i], " "), nil
		}
	}
	if quote != 0 {
		return "", fmt.Errorf("a %c quote is not closed", quote)
	}
	return strings.TrimRight(s, " "), nil
}

// node reads the block that starts at the next line, indented by indent.
func (p *yamlParser) node(indent int) (any, error) {
	_, text, _, _ := p.peek()
	if text == "-" || strings.HasPrefix(text, "- ") {
		return p.sequence(indent)
	}
	return p.mapping(indent)
}

func (p *yamlParser) sequence(indent int) ([]any, error) {
	var items []any
	for {
		at, text, ok, err := p.peek()
		if err != nil || !ok || at < indent || (at == indent && text != "-" && !strings.HasPrefix(text, "- ")) {
			return items, err // the caller checks what follows
		}
		if at > indent {
			return nil, fmt.Errorf("line %d: expected a \"- \" item at column %d", p.i+1, indent+1)
		}
		rest := strings.TrimLeft(strings.TrimPrefix(text, "-"), " ")
		switch {
		case rest == "":
			p.i++
			item, err := p.child(indent)
			if err != nil {
				return nil, err
			}
			items = append(items, item)
		case isMappingLine(rest):
			// "- key: value": the item is a mapping whose keys line up with key.
			col := indent + len(text) - len(rest)
			p.lines[p.i] = strings.Repeat(" ", col) + rest
			item, err := p.mapping(col)
			if err != nil {
				return nil, err
			}
			items = append(items, item)
		default:
			p.i++
			item, err := yamlScalar(rest)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", p.i, err)
			}
			items = append(items, item)
		}
	}
}

func (p *yamlParser) mapping(indent int) (map[string]any, error) {
	m := make(map[string]any)
	for {
		at, text, ok, err := p.peek()
		if err != nil || !ok || at < indent {
			return m, err
		}
		if at > indent || !isMappingLine(text) {
			return nil, fmt.Errorf("line %d: expected key: value at column %d", p.i+1, indent+1)
		}
		key, value, _ := strings.Cut(text, ":")
		value = strings.TrimSpace(value)
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("line %d: key %q twice", p.i+1, key)
		}
		p.i++
		switch {
		case value == "":
			m[key], err = p.child(indent)
		case strings.IndexAny(value[:1], "|>") == 0:
			m[key], err = p.blockScalar(indent, value)
		default:
			m[key], err = yamlScalar(value)
			if err != nil {
				err = fmt.Errorf("line %d: %w", p.i, err)
			}
		}
		if err != nil {
			return nil, err
		}
	}
}

// child reads the value of a key or item whose line ended after the colon or
// dash: a more indented block, a sequence at the key's own indentation, or
// nothing.
func (p *yamlParser) child(indent int) (any, error) {
	at, text, ok, err := p.peek()
	switch {
	case err != nil || !ok:
		return nil, err
	case at > indent:
		return p.node(at)
	case at == indent && (text == "-" || strings.HasPrefix(text, "- ")):
		return p.sequence(indent)
	}
	return nil, nil
}

// blockScalar reads the lines of a | or > scalar, more indented than its key.
func (p *yamlParser) blockScalar(indent int, header string) (string, error) {
	if strings.Trim(header, "|>+-") != "" {
		return "", fmt.Errorf("line %d: block scalar header %q is not supported", p.i, header)
	}
	var lines []string
	blockIndent := -1
	for ; p.i < len(p.lines); p.i++ {
		line := p.lines[p.i]
		trimmed := strings.TrimLeft(line, " ")
		at := len(line) - len(trimmed)
		if trimmed == "" {
			lines = append(lines, "")
			continue
		}
		if at <= indent {
			break
		}
		if blockIndent < 0 {
			blockIndent = at
		}
		if at < blockIndent {
			return "", fmt.Errorf("line %d: less indented than the block scalar's first line", p.i+1)
		}
		lines = append(lines, line[blockIndent:])
	}
	sep := "\n"
	if header[0] == '>' {
		sep = " "
	}
	return strings.TrimRight(strings.Join(lines, sep), " \n") + "\n", nil
}

// isMappingLine reports whether s is "key: value" or "key:", with a plain key.
func isMappingLine(s string) bool {
	if s == "" || strings.ContainsRune("\"'[{", rune(s[0])) {
		return false
	}
	key, _, found := strings.Cut(s, ":")
	if !found || strings.ContainsAny(key, " \t") {
		return false
	}
	return len(s) == len(key)+1 || s[len(key)+1] == ' '
}

// yamlScalar reads one scalar: quoted, a flow sequence of scalars, or plain.
func yamlScalar(s string) (any, error) {
	switch s[0] {
	case '"':
		v, err := strconv.Unquote(s)
		if err != nil {
			return nil, fmt.Errorf("bad double-quoted string %s", s)
		}
		return v, nil
	case '\'':
		if len(s) < 2 || s[len(s)-1] != '\'' || strings.Contains(strings.ReplaceAll(s[1:len(s)-1], "''", ""), "'") {
			return nil, fmt.Errorf("bad single-quoted string %s", s)
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	case '[':
		if s[len(s)-1] != ']' {
			return nil, fmt.Errorf("flow sequence %s is not closed on its line", s)
		}
		var items []any
		for _, f := range splitFlow(s[1 : len(s)-1]) {
			v, err := yamlScalar(f)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		return items, nil
	case '{', '&', '*', '!', '%', '@', '`':
		return nil, fmt.Errorf("%q: flow mappings, anchors, aliases, tags and directives are not supported", s)
	}
	if strings.Contains(s, ": ") {
		return nil, fmt.Errorf("plain scalar %q holds \": \": quote it", s)
	}
	return s, nil
}

// splitFlow splits the inside of a flow sequence at commas outside quotes.
func splitFlow(s string) []string {
	var parts []string
	var quote byte
	start := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == ',':
			parts = append(parts, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if last := strings.TrimSpace(s[start:]); last != "" || len(parts) > 0 {
		parts = append(parts, last)
	}
	return parts
}

func TestParseYAMLSubset(t *testing.T) {
	good := `# a comment
top:
  name: "quoted: value" # trailing comment
  plain: a plain value
  single: 'it''s'
  list: [linux, "darwin", 'windows']
  empty:
  items:
    - alert: A
      expr: up == 0
      labels:
        severity: critical
    - -s -w -X main.version=v{{.Version}}
  seq_at_key_indent:
  - one
  block: |
    line one
      line two
  after: done
`
	got, err := parseYAMLSubset(good)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"top": map[string]any{
		"name": "quoted: value", "plain": "a plain value", "single": "it's",
		"list":  []any{"linux", "darwin", "windows"},
		"empty": nil,
		"items": []any{
			map[string]any{"alert": "A", "expr": "up == 0", "labels": map[string]any{"severity": "critical"}},
			"-s -w -X main.version=v{{.Version}}",
		},
		"seq_at_key_indent": []any{"one"},
		"block":             "line one\n  line two\n",
		"after":             "done",
	}}
	if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}

	for _, bad := range []struct{ name, doc, want string }{
		{"tab", "a:\n\tb: c\n", "line 2: a tab"},
		{"duplicate key", "a: 1\na: 2\n", `line 2: key "a" twice`},
		{"unclosed quote", "a: \"b\n", "line 1: a \" quote is not closed"},
		{"over-indented key", "a: 1\n  b: 2\n", "line 2"},
		{"item in a mapping", "a: 1\n- b\n", "line 2"},
		{"anchor", "a: &x 1\n", "anchors"},
		{"flow mapping", "a: {b: c}\n", "flow mappings"},
		{"colon in a plain scalar", "a: b: c\n", "quote it"},
		{"unclosed flow sequence", "a: [b, c\n", "not closed"},
	} {
		if _, err := parseYAMLSubset(bad.doc); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: got %v, want an error containing %q", bad.name, err, bad.want)
		}
	}
}
