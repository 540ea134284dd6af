package messages

import (
	"math"
	"strings"
	"testing"
)

func TestMakeStickers(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name  string
		names string
		ends  []int
		wears []float64
		want  []Sticker
	}{
		{"none", "", nil, nil, nil},
		{"two, one without wear", "Spirit | 2020 RMRCrown (Foil)", []int{17, 29}, []float64{0.08, nan},
			[]Sticker{{Name: "Spirit | 2020 RMR", Wear: 0.08, HasWear: true}, {Name: "Crown (Foil)"}}},
		{"a wear of 0 is a wear", "ab", []int{1, 2}, []float64{0, nan}, []Sticker{{Name: "a", HasWear: true}, {Name: "b"}}},
		{"an empty name", "ab", []int{1, 1, 2}, []float64{nan, nan, nan}, []Sticker{{Name: "a"}, {Name: ""}, {Name: "b"}}},
		{"the first MaxStickers", "abcdefg", []int{1, 2, 3, 4, 5, 6, 7}, []float64{1, 2, 3, 4, 5, 6, 7},
			[]Sticker{{"a", 1, true}, {"b", 2, true}, {"c", 3, true}, {"d", 4, true}, {"e", 5, true}}},
		{"an end going back stops it", "abc", []int{2, 1, 3}, []float64{nan, nan, nan}, []Sticker{{Name: "ab"}}},
		{"an end past the names stops it", "abc", []int{1, 9}, []float64{nan, nan}, []Sticker{{Name: "a"}}},
		{"fewer wears than ends", "abc", []int{1, 2, 3}, []float64{nan}, []Sticker{{Name: "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := MakeStickers(tt.names, tt.ends, tt.wears)
			if s.Len() != len(tt.want) {
				t.Fatalf("Len() = %d, want %d", s.Len(), len(tt.want))
			}
			for i, w := range tt.want {
				if got := s.At(i); got != w {
					t.Errorf("At(%d) = %+v, want %+v", i, got, w)
				}
			}
			if again := StickersOf(tt.want...); again != s {
				t.Errorf("StickersOf the same stickers = %+v, not == %+v", again, s)
			}
		})
	}
}

// TestStickersCompare checks that == on Stickers, and so on Trade, says
// whether the stickers are the same, stickers without wear included.
func TestStickersCompare(t *testing.T) {
	a := StickersOf(Sticker{Name: "Crown (Foil)"}, Sticker{Name: "Spirit | 2020 RMR", Wear: 0.08, HasWear: true})
	b := MakeStickers(strings.Clone("Crown (Foil)Spirit | 2020 RMR"), []int{12, 29}, []float64{math.NaN(), 0.08})
	if a != b {
		t.Errorf("the same stickers built two ways are not ==: %+v, %+v", a, b)
	}
	for _, other := range []Stickers{
		StickersOf(Sticker{Name: "Crown (Foil)"}),
		StickersOf(Sticker{Name: "Crown (Foil)"}, Sticker{Name: "Spirit | 2020 RMR"}),
		StickersOf(Sticker{Name: "Crown (Foil)Spirit"}, Sticker{Name: " | 2020 RMR", Wear: 0.08, HasWear: true}),
		StickersOf(Sticker{Name: "Crown (Foil)", HasWear: true}, Sticker{Name: "Spirit | 2020 RMR", Wear: 0.08, HasWear: true}),
		{},
	} {
		if other == a {
			t.Errorf("%+v == %+v", other, a)
		}
	}
	if (Trade{Stickers: a}) != (Trade{Stickers: b}) {
		t.Error("trades with the same stickers are not ==")
	}
}

func TestStickersDoNotAllocate(t *testing.T) {
	names := "Spirit | 2020 RMRCrown (Foil)"
	ends := []int{17, 29}
	wears := []float64{0.08, math.NaN()}
	var s Stickers
	if n := testing.AllocsPerRun(100, func() { s = MakeStickers(names, ends, wears) }); n != 0 {
		t.Errorf("MakeStickers allocates %v times a run, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		for i := range s.Len() {
			_ = s.At(i)
		}
	}); n != 0 {
		t.Errorf("reading allocates %v times a run, want 0", n)
	}
}

func TestStickersAtPanics(t *testing.T) {
	s := StickersOf(Sticker{Name: "a"})
	for _, i := range []int{-1, 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("At(%d) of one sticker did not panic", i)
				}
			}()
			s.At(i)
		}()
	}
}

// same compiles only for comparable types: Trade must stay one, for the
// actors compare trades with ==.
func same[T comparable](a, b T) bool { return a == b }

var _ = same(Trade{}, Trade{})
