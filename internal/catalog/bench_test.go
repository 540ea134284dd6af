package catalog

import "testing"

// BenchmarkIdentify measures a name the catalogue knows, and misspellings,
// whose suggestions compare the name with every real one.
func BenchmarkIdentify(b *testing.B) {
	c := Default()
	for _, name := range []string{"AK-47 | Redline", "AK-47 | Redlien", "AK47 Redline", "asdfghjkl", "Qwerty | Uiop"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Identify(name)
			}
		})
	}
}
