package feedjson

// This file holds the JSON scanning primitives behind ParseFrame: a scanner that
// reads one JSON text in a single pass and checks it as encoding/json's Unmarshal
// does (syntax, escapes, numbers, control characters, UTF-8, nesting depth), and
// the helpers that decode a string's text the way encoding/json unquotes it.
// decode.go walks the frame with it; what the frame means is decode.go's business.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanMaxDepth is how deeply objects and arrays may nest, as in encoding/json.
const scanMaxDepth = 10000

// scanKeyMax is the longest key, in runes, that fold keeps; the field names
// ParseFrame looks for are all shorter.
const scanKeyMax = 16

// Flags that scanner.str returns about the string it read.
const (
	strEscaped  = 1 << iota // it holds a backslash escape
	strNonASCII             // it holds a rune outside ASCII
)

// scanner reads one JSON text from data, front to back, once.
//
// Every method that reads a value expects s.pos at the value's first byte and
// leaves it just past the value; key and elem skip the space around what they
// read. The first syntax error stops the scan: it is recorded, s.pos jumps to
// the end of data, and every later read fails at once, so loops over members
// end. Reading allocates nothing (only describing an error does): nesting is
// tracked in a fixed bit set, not on the call stack.
type scanner struct {
	data  []byte
	pos   int
	depth int // how many objects and arrays are open
	// fresh is set when an object or array has just been entered: its first
	// member takes no comma.
	fresh bool

	bad    bool   // a syntax error has been found
	errAt  int    // where: len(data) for an unexpected end
	errCtx string // what the scanner was looking for, in encoding/json's words
	// errInToken says the error is inside a literal, number or escape, where
	// encoding/json words an unexpected end as an invalid space.
	errInToken bool

	keyBuf [scanKeyMax]byte // the last key, folded
	// arrays has bit d set when the container skip opened at depth d is an array.
	arrays [scanMaxDepth/64 + 1]uint64
}

// fail records a syntax error at data[at] (the end of data, if at is there),
// unless there is one already, and ends the scan.
func (s *scanner) fail(at int, context string) {
	if !s.bad {
		s.bad, s.errAt, s.errCtx = true, min(at, len(s.data)), context
	}
	s.pos = len(s.data)
}

// failInToken is fail for an error inside a literal, number or escape.
func (s *scanner) failInToken(at int, context string) {
	if !s.bad {
		s.errInToken = true
	}
	s.fail(at, context)
}

// syntaxError describes the first syntax error as encoding/json does, with its
// offset counted the same way (the bytes read up to and including the bad one).
// At the end of the input encoding/json reads one more space, which is invalid
// inside a token.
func (s *scanner) syntaxError() string {
	switch {
	case s.errAt < len(s.data):
		return fmt.Sprintf("invalid character %s %s at byte %d", scanQuoteChar(s.data[s.errAt]), s.errCtx, s.errAt+1)
	case s.errInToken:
		return fmt.Sprintf("invalid character ' ' %s at byte %d", s.errCtx, len(s.data))
	}
	return fmt.Sprintf("unexpected end of JSON input at byte %d", len(s.data))
}

// scanQuoteChar formats c as encoding/json does in its syntax errors.
func scanQuoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	q := strconv.Quote(string(rune(c)))
	return "'" + q[1:len(q)-1] + "'"
}

// at returns data[i], or 0 (which starts no JSON token) past the end.
func (s *scanner) at(i int) byte {
	if i < len(s.data) {
		return s.data[i]
	}
	return 0
}

// cur returns the byte at s.pos, or 0 at the end.
func (s *scanner) cur() byte { return s.at(s.pos) }

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// end checks that nothing but space follows the top-level value.
func (s *scanner) end() {
	s.skipSpace()
	if s.pos < len(s.data) {
		s.fail(s.pos, "after top-level value")
	}
}

// open consumes the bracket at s.pos and counts one more level of nesting.
func (s *scanner) open() bool {
	if s.depth == scanMaxDepth {
		s.fail(s.pos, "exceeded max depth")
		return false
	}
	s.depth++
	s.pos++
	return true
}

// enter enters the object or array at s.pos if it opens with bracket ('{' or
// '['), for key or elem to read its members, and reports whether it did.
func (s *scanner) enter(bracket byte) bool {
	if s.cur() != bracket || !s.open() {
		return false
	}
	s.fresh = true
	return true
}

// key moves to the next member of the object being read and returns its key,
// folded (see fold), with s.pos at the member's value; or false at the end of
// the object, which it consumes, or on a syntax error.
func (s *scanner) key() ([]byte, bool) {
	if !s.more('}', "after object key:value pair") {
		return nil, false
	}
	text, flags, ok := s.memberKey()
	if !ok {
		return nil, false
	}
	return s.fold(text, flags), true
}

// elem moves to the next element of the array being read, with s.pos at it;
// or returns false at the end of the array, which it consumes, or on a syntax
// error.
func (s *scanner) elem() bool {
	return s.more(']', "after array element")
}

// more reads what comes between the members of an object or array: space, and
// the comma before every member but the first, or the closing bracket.
func (s *scanner) more(closing byte, after string) bool {
	if s.bad {
		return false
	}
	s.skipSpace()
	switch c := s.cur(); {
	case c == closing:
		s.pos++
		s.depth--
		s.fresh = false
		return false
	case s.fresh:
		s.fresh = false
	case c == ',':
		s.pos++
		s.skipSpace()
	default:
		s.fail(s.pos, after)
		return false
	}
	return true
}

// memberKey reads an object member's key, the colon and the space around it,
// and returns the text between the key's quotes with its flags.
func (s *scanner) memberKey() (text []byte, flags uint8, ok bool) {
	if s.cur() != '"' {
		s.fail(s.pos, "looking for beginning of object key string")
		return nil, 0, false
	}
	start := s.pos + 1
	flags = s.str()
	text = s.data[start:max(start, s.pos-1)]
	s.skipSpace()
	if s.cur() != ':' {
		s.fail(s.pos, "after object key")
		return nil, 0, false
	}
	s.pos++
	s.skipSpace()
	return text, flags, !s.bad
}

// raw reads the value at s.pos and returns its text.
func (s *scanner) raw() []byte {
	start := s.pos
	s.skip()
	return s.data[start:s.pos]
}

// skip reads the value at s.pos, checking it. Objects and arrays inside it are
// followed in a loop, with s.arrays saying which kind each open one is.
func (s *scanner) skip() {
	base := s.depth
	for {
		// A value starts at s.pos.
		switch c := s.cur(); c {
		case '"':
			s.str()
		case '{', '[':
			if !s.open() {
				return
			}
			bit := uint64(1) << (s.depth % 64)
			s.arrays[s.depth/64] &^= bit
			if c == '[' {
				s.arrays[s.depth/64] |= bit
			}
			s.skipSpace()
			if s.cur() == c+2 { // '}' and ']' follow '{' and '[' two apart
				s.pos++
				s.depth--
				break
			}
			if c == '{' {
				if _, _, ok := s.memberKey(); !ok {
					return
				}
			}
			continue
		case 't':
			s.literal("true")
		case 'f':
			s.literal("false")
		case 'n':
			s.literal("null")
		default:
			if c != '-' && (c < '0' || c > '9') {
				s.fail(s.pos, "looking for beginning of value")
				return
			}
			s.number()
		}
		// After a value: close what ends here, or move on to the next member.
		for {
			if s.bad || s.depth == base {
				return
			}
			s.skipSpace()
			inArray := s.arrays[s.depth/64]>>(s.depth%64)&1 == 1
			c := s.cur()
			if c == ',' {
				s.pos++
				s.skipSpace()
				if !inArray {
					if _, _, ok := s.memberKey(); !ok {
						return
					}
				}
				break // to the next value
			}
			if inArray && c == ']' || !inArray && c == '}' {
				s.pos++
				s.depth--
				continue
			}
			if inArray {
				s.fail(s.pos, "after array element")
			} else {
				s.fail(s.pos, "after object key:value pair")
			}
			return
		}
	}
}

// literal reads true, false or null, whichever word is.
func (s *scanner) literal(word string) {
	for i := 1; i < len(word); i++ {
		if s.at(s.pos+i) != word[i] {
			s.failInToken(s.pos+i, "in literal "+word+" (expecting "+scanQuoteChar(word[i])+")")
			return
		}
	}
	s.pos += len(word)
}

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() {
	i := s.pos
	if s.at(i) == '-' {
		i++
	}
	switch c := s.at(i); {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i = s.digits(i + 1)
	default:
		s.failInToken(i, "in numeric literal")
		return
	}
	if s.at(i) == '.' {
		if i++; !scanIsDigit(s.at(i)) {
			s.failInToken(i, "after decimal point in numeric literal")
			return
		}
		i = s.digits(i)
	}
	if c := s.at(i); c == 'e' || c == 'E' {
		if i++; s.at(i) == '+' || s.at(i) == '-' {
			i++
		}
		if !scanIsDigit(s.at(i)) {
			s.failInToken(i, "in exponent of numeric literal")
			return
		}
		i = s.digits(i)
	}
	s.pos = i
}

func (s *scanner) digits(i int) int {
	for scanIsDigit(s.at(i)) {
		i++
	}
	return i
}

func scanIsDigit(c byte) bool { return '0' <= c && c <= '9' }

func scanIsHex(c byte) bool { return scanIsDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// str reads the string at s.pos and returns its flags. It checks 8 bytes at a
// time until one of them needs a closer look.
func (s *scanner) str() (flags uint8) {
	data := s.data
	i := s.pos + 1
	for {
		for i+8 <= len(data) && scanPlain(binary.LittleEndian.Uint64(data[i:])) {
			i += 8
		}
		if i >= len(data) {
			s.fail(i, "")
			return flags
		}
		switch c := data[i]; {
		case c == '"':
			s.pos = i + 1
			return flags
		case c == '\\':
			flags |= strEscaped
			switch s.at(i + 1) {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for j := i + 2; j < i+6; j++ {
					if !scanIsHex(s.at(j)) {
						s.failInToken(j, `in \u hexadecimal character escape`)
						return flags
					}
				}
				i += 6
			default:
				s.failInToken(i+1, "in string escape code")
				return flags
			}
		case c < ' ':
			s.fail(i, "in string literal")
			return flags
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				s.fail(i, "in string literal") // ParseFrame reports it as invalid UTF-8
				return flags
			}
			flags |= strNonASCII
			i += n
		}
	}
}

// scanPlain reports whether the 8 bytes in w can stand in a string as they
// are: none is a quote, a backslash, a control character or outside ASCII.
// (A byte b below 0x80 makes b-1 borrow only when b is 0, and b-0x20 only when
// b is below 0x20; the quote and the backslash are made 0 by the XORs.)
func scanPlain(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := w ^ (ones * '"')
	b := w ^ (ones * '\\')
	return ((q-ones)|(b-ones)|(w-ones*' ')|w)&highs == 0
}

// fold returns a key, the text between its quotes with the flags str found,
// folded the way encoding/json matches keys to struct fields (as
// bytes.EqualFold does): ASCII letters in lower case, and the two other runes
// that fold to an ASCII letter, ſ (U+017F) and the Kelvin sign (U+212A), as
// s and k. Every other rune becomes 0x80, which no field name holds. So the
// result equals a field name in lower case exactly when encoding/json would
// decode the key into that field. A key of more than scanKeyMax runes, longer
// than any field name, folds to nothing.
func (s *scanner) fold(key []byte, flags uint8) []byte {
	buf := s.keyBuf[:0]
	if flags == 0 {
		if len(key) > len(s.keyBuf) {
			return nil
		}
		for _, c := range key {
			buf = append(buf, scanLower(c))
		}
		return buf
	}
	for len(key) > 0 {
		if len(buf) == len(s.keyBuf) {
			return nil
		}
		r, n := nextRune(key)
		key = key[n:]
		switch {
		case r < utf8.RuneSelf:
			buf = append(buf, scanLower(byte(r)))
		case r == '\u017f': // ſ
			buf = append(buf, 's')
		case r == '\u212a': // the Kelvin sign
			buf = append(buf, 'k')
		default:
			buf = append(buf, utf8.RuneSelf)
		}
	}
	return buf
}

func scanLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	return c
}

// nextRune decodes the first rune of text, the inside of a string the scanner
// has checked, and returns it with its length in text. Escapes decode as
// encoding/json decodes them: a \u escape of a surrogate that is not the first
// of a pair of escapes becomes U+FFFD, and so does that of a lone second half.
func nextRune(text []byte) (rune, int) {
	c := text[0]
	if c != '\\' {
		if c < utf8.RuneSelf {
			return rune(c), 1
		}
		return utf8.DecodeRune(text)
	}
	switch text[1] {
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r := scanHex4(text[2:6])
		if !utf16.IsSurrogate(r) {
			return r, 6
		}
		if len(text) >= 12 && text[6] == '\\' && text[7] == 'u' {
			if pair := utf16.DecodeRune(r, scanHex4(text[8:12])); pair != utf8.RuneError {
				return pair, 12
			}
		}
		return utf8.RuneError, 6
	}
	return rune(text[1]), 2 // \" \\ \/
}

// scanHex4 decodes four hex digits the scanner has checked.
func scanHex4(h []byte) rune {
	var r rune
	for _, c := range h[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// appendUnquoted appends text, the inside of a string the scanner has checked,
// decoded, to dst.
func appendUnquoted(dst, text []byte) []byte {
	for {
		i := bytes.IndexByte(text, '\\')
		if i < 0 {
			return append(dst, text...)
		}
		dst = append(dst, text[:i]...)
		r, n := nextRune(text[i:])
		dst = utf8.AppendRune(dst, r)
		text = text[i+n:]
	}
}

// unquotedPrefix returns at most max runes of text, the inside of a string
// the scanner has checked, decoded: enough of a long string for a message.
func unquotedPrefix(text []byte, max int) string {
	var out []byte
	for ; len(text) > 0 && max > 0; max-- {
		r, n := nextRune(text)
		out = utf8.AppendRune(out, r)
		text = text[n:]
	}
	return string(out)
}

// textIs reports whether text, the inside of a string the scanner has checked,
// decodes to want.
func textIs(text []byte, want string) bool {
	for len(text) > 0 {
		if len(want) == 0 {
			return false
		}
		r, n := nextRune(text)
		w, m := utf8.DecodeRuneInString(want)
		if r != w {
			return false
		}
		text, want = text[n:], want[m:]
	}
	return len(want) == 0
}
