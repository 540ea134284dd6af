package gqlws

import "testing"

func TestBarrierPingIsEchoedOnlyByItsOwnPong(t *testing.T) {
	ping, err := BarrierPing("c0ffee-1").Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(ping), `{"type":"ping","payload":{"barrier":"c0ffee-1"}}`; got != want {
		t.Fatalf("BarrierPing = %s, want %s", got, want)
	}
	for _, tt := range []struct {
		pong string
		want bool
	}{
		{`{"type":"pong","payload":{"barrier":"c0ffee-1"}}`, true},
		{`{"payload":{ "barrier" : "c0ffee-1" },"type":"pong"}`, true}, // re-serialised by the server
		{`{"type":"pong"}`, false},                                     // a heartbeat
		{`{"type":"pong","payload":{}}`, false},                        // the answer to a periodic ping
		{`{"type":"pong","payload":{"barrier":"c0ffee-2"}}`, false},    // another barrier's
		{`{"type":"pong","payload":"c0ffee-1"}`, false},                // not an object
		{`{"type":"pong","payload":{"barrier":"c0ffee-1"}`, false},     // truncated
	} {
		if got := EchoesBarrier([]byte(tt.pong), "c0ffee-1"); got != tt.want {
			t.Errorf("EchoesBarrier(%s) = %t, want %t", tt.pong, got, tt.want)
		}
	}
	if EchoesBarrier([]byte(`{"type":"pong","payload":{"barrier":""}}`), "") {
		t.Error("an empty token matched: a pong with an empty barrier must not end a wait that expects none")
	}
}

func TestPongForEchoesAnObjectPayload(t *testing.T) {
	for _, tt := range []struct{ ping, pong string }{
		{`{"type":"ping"}`, `{"type":"pong"}`},
		{`{"type":"ping","payload":{"n":"7"}}`, `{"type":"pong","payload":{"n":"7"}}`},
		{`{"type":"ping","payload":null}`, `{"type":"pong"}`},
		{`{"type":"ping","payload":"7"}`, `{"type":"pong"}`}, // not an object: the protocol forbids echoing it
		{`{not json`, `{"type":"pong"}`},
	} {
		b, err := PongFor([]byte(tt.ping)).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.pong {
			t.Errorf("PongFor(%s) = %s, want %s", tt.ping, b, tt.pong)
		}
	}
}
