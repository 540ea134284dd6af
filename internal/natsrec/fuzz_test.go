package natsrec

import (
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/messages"
)

// FuzzDecode feeds Decode what a stream could hold: it must never panic, and
// a record it accepts must encode again to a record that decodes to the same
// values.
func FuzzDecode(f *testing.F) {
	enc := NewEncoder()
	for _, tr := range sampleTrades(f)[:8] {
		f.Add(enc.Trade(&tr))
		m := messages.Match{Trade: tr, Entry: "#1 " + tr.MarketName, EntryIndex: 1, DecidedAt: tr.ReceivedAt.Add(time.Microsecond)}
		f.Add(enc.Match(&m))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			return
		}
		var again []byte
		if r.Kind == KindMatch {
			again = enc.Match(&r.Match)
		} else {
			again = enc.Trade(r.Trade())
		}
		r2, err := Decode(again)
		if err != nil {
			t.Fatalf("Decode(%s) = %+v, which encodes to %s, which does not decode: %v", data, r, again, err)
		}
		if r.Kind == KindTrade {
			r.Match = messages.Match{Trade: r.Match.Trade} // a trade record carries no match fields
		}
		if r2 != r {
			t.Fatalf("Decode(%s) = %+v, which encodes to %s, which decodes to %+v", data, r, again, r2)
		}
	})
}
