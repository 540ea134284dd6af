// Package output is the buffered writer under the program's records: each
// record is kept whole (records never interleave), and the bytes reach the
// underlying writer in one write per Flush. It starts no goroutine.
package output
