// Package output is the bounded buffer under the program's output files:
// records are appended whole or not at all, and never wait for a write. When
// the file behind it does not keep up and the buffer is full, a record is
// dropped and counted against its stream (trade, match, log). The actor that
// writes the file (actors.Output) takes what is buffered in one piece.
//
// It starts no goroutine.
package output
