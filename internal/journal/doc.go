// Package journal writes and reads journals of the raw feed: every frame the
// connections read, as received, with its receive time, connection and
// session, so that a session can be replayed through the same parser and
// sinks, or a whitelist backtested on it. It starts no goroutine: the
// recorder actor owns the Writer, and replay and backtest own a Reader.
//
// # Files
//
// A journal is a directory of segments named by the UTC time of their first
// record, to the millisecond, so that ls lists them in time order:
//
//	rollsniper-20261130T145702.123Z.rsj
//
// A Writer closes a segment and begins another at the first record of a new
// UTC day, and when a segment reaches Options.SegmentBytes on disk. Prune
// deletes the oldest segments until the journal fits a size, never the one
// being written.
//
// # Format, version 2
//
// FORMAT.md, beside this file, gives every byte. In short, a segment is
//
//	header:  magic "\x89RSJ\r\n\x1a\n", version, length, start time, writer, flags, CRC-32C
//	chunks:  [length uint32][CRC-32C uint32][payload]...
//
// and the chunks' payloads, joined, are one zstd stream (one zstd frame, ended
// when the segment is closed) of records:
//
//	[CRC-32C uint32][data length uint32][time int64 ns][session uint64][kind u8][conn u8][data]
//
// All integers are little-endian. The writer compresses records as they come;
// Flush ends the zstd block and writes what is gathered as one chunk, and
// Sync also fsyncs the file: a recorder that syncs every second loses at
// most the last second to a power loss. The stream keeps its history across
// chunks, so a flush a second costs little compression: a day of the fake
// feed's frames compresses 13.5 to 1, against 15.8 never flushed and 2.6 as
// one zstd frame a second (BenchmarkWriteDay).
//
// Version 2 adds a flags byte to the header; version 1 files are read as
// before. Its one flag marks a stored segment (Options.Store): a zstd stream
// of raw blocks, the records as they are, which costs a copy to write instead
// of a compression. A recorder stores, so that a burst of the feed costs it
// little CPU, and Compact rewrites each stored segment compressed once it is
// closed, renaming the new file over the old.
//
// # Damage
//
// Each chunk is checked against its CRC before any of it is decompressed, and
// each record against its own after. At the first chunk that is cut short,
// fails its CRC or holds a length no writer makes, and at the first record
// that fails its check, the reader stops reading the segment: it hands out
// every record before, reports the rest as Damage (where, how many bytes,
// why), and goes on with the next segment. A crash or a power loss leaves a
// torn last chunk, and garbage after the last chunk fails its CRC, so both
// lose nothing that was flushed. Corruption in the middle of a segment loses
// the rest of that segment (the zstd stream cannot be resumed past a gap),
// never the next segment.
//
// A file that does not begin with the magic number is not a journal
// (*NotJournalError); a version it does not read is a *VersionError, which
// says to read it with the program that wrote it or a newer one.
//
// # Reading fast
//
// A reader decompresses on the caller's goroutine into a buffer it reuses,
// and hands out each record's Data as a slice of that buffer, valid until the
// next call to Next: it allocates nothing per record. Segments are
// independent, so a caller that wants both cores reads two at once, each with
// its own SegmentReader.
package journal
