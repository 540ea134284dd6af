package spell

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"redline", "redline", 3, 0},
		{"redlien", "redline", 3, 1}, // a swap is one edit
		{"dopler", "doppler", 3, 1},
		{"ak47", "ak47s", 3, 1},
		{"", "abc", 3, 3},
		{"kitten", "sitting", 3, 3},
		{"abcdefgh", "zzzzzzzz", 2, 3}, // gives up past the limit
		{"a", "abcdefgh", 2, 3},
		{"龍王", "龍玉", 1, 1},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("Distance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}
