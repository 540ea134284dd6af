package journal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"time"
)

// Version is the format version this package writes. It reads this one and
// every earlier one (minVersion to Version).
const Version = 2

// minVersion is the oldest format version this package reads. Version 1
// differs from 2 only in its header, which has no flags byte.
const minVersion = 1

// magic opens every segment. Like PNG's, its first byte is not ASCII and it
// holds a CR LF, a Ctrl-Z and an LF, so a file mangled by a text-mode copy or
// mistaken for text is told apart at once.
const magic = "\x89RSJ\r\n\x1a\n"

// Sizes of the fixed parts of the format.
const (
	// headerFixed is the header up to the writer string: magic, version,
	// header length, start time, writer length.
	headerFixed = 8 + 2 + 2 + 8 + 1
	// headerMin is the shortest header: an empty writer string, the flags
	// (from version 2) and the CRC.
	headerMin = headerFixed + 1 + 4
	// headerMinV1 is the shortest header of version 1, which has no flags.
	headerMinV1 = headerFixed + 4
	// maxWriter is the longest writer string the header holds.
	maxWriter = 255
	// maxHeader is the longest header a writer writes.
	maxHeader = headerMin + maxWriter
	// chunkHeader is a chunk's length and CRC.
	chunkHeader = 4 + 4
	// recordHeader is a record's CRC, length, time, session, kind and conn.
	recordHeader = 4 + 4 + 8 + 8 + 1 + 1
)

// MaxData is the largest Data a record may hold: far above any frame the
// connection's read limit lets through, small enough that a corrupt length
// cannot make a reader allocate without bound.
const MaxData = 64 << 20

// maxChunk is the largest chunk a reader accepts. A writer's chunks hold at
// most chunkTarget bytes plus one compressed block.
const maxChunk = 16 << 20

// castagnoli is the CRC-32C table: the polynomial with hardware support on
// amd64 and arm64.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Kind says what a record holds. Kinds are open: a reader hands out records of
// kinds it does not know, and a consumer skips those it does not handle, so a
// later writer can add kinds without a new format version.
type Kind uint8

const (
	// KindFrame is a text frame a connection read and forwarded to the
	// parser (a next message, or anything it did not recognise, malformed
	// frames included). Data is the frame exactly as read off the socket.
	KindFrame Kind = 1
	// KindSessionStart marks the start of a connection's session (Conn,
	// Session): the frames that follow with the same Conn belong to it until
	// its KindSessionEnd. Data is a note for people (the subscription, say),
	// which programs must not parse.
	KindSessionStart Kind = 2
	// KindSessionEnd marks the end of a connection's session. Data is a note
	// for people (why it ended).
	KindSessionEnd Kind = 3
	// KindDropped says the recorder lost frames here (its queue was full):
	// Data is the number lost, 8 bytes little-endian (see DroppedRecord).
	KindDropped Kind = 4
)

func (k Kind) String() string {
	switch k {
	case KindFrame:
		return "frame"
	case KindSessionStart:
		return "session-start"
	case KindSessionEnd:
		return "session-end"
	case KindDropped:
		return "dropped"
	}
	return fmt.Sprintf("kind-%d", uint8(k))
}

// Record is one entry of a journal.
type Record struct {
	// Kind says what Data holds.
	Kind Kind
	// Conn is the connection the record came from, numbered from 1 (there
	// are at most a few); 0 for a record that belongs to no connection.
	Conn uint8
	// Session is the connection's session number (messages.Frame.Session):
	// it tells the frames of one session from those of the next.
	Session uint64
	// Time is when the frame was read off the socket (the receive time), in
	// UTC with nanosecond precision; for markers, when the event happened.
	Time time.Time
	// Data is the record's bytes: for KindFrame the frame as received. A
	// reader's Data is valid until its next call to Next.
	Data []byte
}

// DroppedRecord returns a KindDropped record saying that n frames were lost
// at t.
func DroppedRecord(t time.Time, n uint64) Record {
	return Record{Kind: KindDropped, Time: t, Data: binary.LittleEndian.AppendUint64(nil, n)}
}

// Dropped returns the number of frames a KindDropped record says were lost,
// and false for any other record (or a KindDropped record of the wrong size).
func (r Record) Dropped() (uint64, bool) {
	if r.Kind != KindDropped || len(r.Data) != 8 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(r.Data), true
}

// Header flags, from version 2.
const (
	// flagStored: the writer stored the records uncompressed (in zstd raw
	// blocks), for Compact to compress once the segment is closed.
	flagStored = 1 << 0
)

// Header is what a segment's header says.
type Header struct {
	// Version is the format version.
	Version uint16
	// Stored says the segment's records are stored uncompressed (in zstd
	// raw blocks), as a recorder writes them to spend the least CPU while
	// the feed runs; Compact compresses a closed one. A reader reads both.
	Stored bool
	// Start is the segment's time, the one in its file name: the receive
	// time of its first record to the millisecond, or a little later where
	// the writer moved it to keep its segments' times distinct and growing
	// (see SegmentName). Readers order segments by it. UTC.
	Start time.Time
	// Writer names the program that wrote the segment and its version.
	Writer string
}

// appendHeader appends the header of a segment of time start, written by
// writer (cut to maxWriter bytes), stored or compressed.
func appendHeader(b []byte, start time.Time, writer string, stored bool) []byte {
	if len(writer) > maxWriter {
		writer = writer[:maxWriter]
	}
	var flags byte
	if stored {
		flags |= flagStored
	}
	begin := len(b)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint16(b, Version)
	b = binary.LittleEndian.AppendUint16(b, uint16(headerMin+len(writer)))
	b = binary.LittleEndian.AppendUint64(b, uint64(start.UnixNano()))
	b = append(b, byte(len(writer)))
	b = append(b, writer...)
	b = append(b, flags)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[begin:], castagnoli))
}

// headerProblem is why a header that starts with the magic number cannot be
// read: the segment is damaged, not foreign.
type headerProblem string

func (p headerProblem) Error() string { return string(p) }

// parseHeader reads a header from the start of b. It returns the header and
// its length; or a *NotJournalError if b does not start with the magic number
// (nor with a part of it, for a b shorter than it), a *VersionError for a
// version it does not read, or a headerProblem when the header is cut short
// or corrupt.
func parseHeader(b []byte, path string) (Header, int, error) {
	n := min(len(b), len(magic))
	if string(b[:n]) != magic[:n] {
		return Header{}, 0, &NotJournalError{Path: path}
	}
	if len(b) < len(magic)+2 {
		return Header{}, 0, headerProblem("the header is cut short")
	}
	h := Header{Version: binary.LittleEndian.Uint16(b[8:])}
	if h.Version < minVersion || h.Version > Version {
		return h, 0, &VersionError{Path: path, Version: h.Version}
	}
	if len(b) < headerFixed {
		return h, 0, headerProblem("the header is cut short")
	}
	size := int(binary.LittleEndian.Uint16(b[10:]))
	wlen := int(b[20])
	least := headerMin
	if h.Version == 1 {
		least = headerMinV1
	}
	switch {
	case size < least+wlen:
		return h, 0, headerProblem("the header's length is corrupt")
	case len(b) < size:
		return h, 0, headerProblem("the header is cut short")
	case crc32.Checksum(b[:size-4], castagnoli) != binary.LittleEndian.Uint32(b[size-4:]):
		return h, 0, headerProblem("the header's checksum does not match")
	}
	h.Start = time.Unix(0, int64(binary.LittleEndian.Uint64(b[12:]))).UTC()
	h.Writer = string(b[headerFixed : headerFixed+wlen])
	if h.Version >= 2 {
		// Flag bits this version does not know are hints a later writer
		// may add: ignored.
		h.Stored = b[headerFixed+wlen]&flagStored != 0
	}
	return h, size, nil
}

// NotJournalError is a file given to a reader that is not a journal segment.
type NotJournalError struct {
	Path string
}

func (e *NotJournalError) Error() string {
	return fmt.Sprintf("%s is not a rollsniper journal (it does not begin with the journal's magic number): "+
		"give the recording's directory or its %s files", e.Path, segmentGlob)
}

// VersionError is a segment in a format version this package does not read.
type VersionError struct {
	Path    string
	Version uint16
}

func (e *VersionError) Error() string {
	if e.Version > Version {
		return fmt.Sprintf("%s is a journal of format version %d, newer than this program reads (versions %d to %d): "+
			"read it with the rollsniper that recorded it or a newer one", e.Path, e.Version, minVersion, Version)
	}
	return fmt.Sprintf("%s is a journal of format version %d, which this program does not read (it reads versions %d to %d): "+
		"the file is corrupt or was not written by rollsniper", e.Path, e.Version, minVersion, Version)
}
