package fakeroll

import (
	"testing"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

func TestSubscriptionField(t *testing.T) {
	tests := []struct {
		query string
		want  string
	}{
		{gqlws.SubCreateTrades.Payload().Query, "createTrades"},
		{gqlws.SubCreateTrade.Payload().Query, "createTrade"},
		{"subscription { createTrade { trade { id } } }", "createTrade"},
		{"{createTrades{trades{id}}}", "createTrades"},
		{"subscription S($f: Filter = {min: 1}) { listings: createTrades(filter: $f) { trades { id } } }", "createTrades"},
		{"# { decoy\nsubscription ($s: String = \"{x}\") {\n  updateTrade { trade { id } }\n}", "updateTrade"},
		{"subscription", ""},
		{"subscription { }", ""},
	}
	for _, tt := range tests {
		if got := subscriptionField(tt.query); got != tt.want {
			t.Errorf("subscriptionField(%q) = %q, want %q", tt.query, got, tt.want)
		}
	}
}
