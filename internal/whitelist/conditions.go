package whitelist

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/rollsniper/rollsniper/messages"
)

// maxStickers is the most stickers a weapon takes.
const maxStickers = 5

// conditions are what an entry alone may say about its item, beyond the
// fields the defaults share: the Doppler phases, the float, the stickers, and
// whether to check the name against the catalogue.
type conditions struct {
	unchecked               bool
	phases                  PhaseSet
	minFloat, maxFloat      float64
	anySticker, stickerKeys []string
	minStickers             int
	has                     map[string]bool
}

const phaseChoices = "Phase 1, Phase 2, Phase 3, Phase 4, Ruby, Sapphire, Black Pearl or Emerald, a list of them, or any"

// conditions reads an entry's own conditions.
func (p *parser) conditions(path string, f map[string]json.RawMessage) conditions {
	x := conditions{maxFloat: 1, has: map[string]bool{}}
	for key := range f {
		x.has[key] = true
	}
	if raw, ok := f["unchecked"]; ok {
		if err := json.Unmarshal(raw, &x.unchecked); err != nil || isNull(raw) {
			p.add(path+".unchecked", "want true or false, got %s", quote(raw))
		}
	}
	if raw, ok := f["phase"]; ok {
		x.phases = p.phases(path+".phase", raw)
	}
	for _, n := range [...]struct {
		key  string
		dst  *float64
		none float64
	}{{"min_float", &x.minFloat, 0}, {"max_float", &x.maxFloat, 1}} {
		raw, ok := f[n.key]
		if !ok {
			continue
		}
		v, ok := p.number(path+"."+n.key, raw, "float", n.none)
		if ok && v > 1 {
			p.add(path+"."+n.key, "%s is above 1: a float runs from 0 to 1", formatNumber(v))
			ok = false
		}
		if ok {
			*n.dst = v
		}
	}
	if x.minFloat > x.maxFloat {
		p.add(path+".min_float", "%s is above max_float %s: lower min_float or raise max_float", formatNumber(x.minFloat), formatNumber(x.maxFloat))
	}
	if raw, ok := f["any_sticker"]; ok {
		x.anySticker, x.stickerKeys = p.stickers(path+".any_sticker", raw)
	}
	if raw, ok := f["min_stickers"]; ok {
		x.minStickers = p.stickerCount(path+".min_stickers", raw)
	}
	return x
}

// phases reads a phase field: a phase, "any", or a list of phases.
func (p *parser) phases(path string, raw json.RawMessage) PhaseSet {
	var one string
	if raw[0] == '"' && json.Unmarshal(raw, &one) == nil {
		if strings.EqualFold(strings.TrimSpace(one), "any") {
			return 0
		}
		ph, ok := messages.ParsePhase(one)
		if !ok {
			p.add(path, "unknown phase %q: use %s", clip(one), phaseChoices)
			return 0
		}
		return PhaseSet(1) << ph
	}
	var list []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		p.add(path, `want a phase or a list of them, e.g. "Ruby" or ["Phase 2", "Phase 4"], got %s`, quote(raw))
		return 0
	}
	if len(list) == 0 {
		p.add(path, `empty list: name at least one phase, or use "any"`)
		return 0
	}
	var set PhaseSet
	for i, el := range list {
		elPath := path + "[" + strconv.Itoa(i) + "]"
		if el[0] != '"' || json.Unmarshal(el, &one) != nil {
			p.add(elPath, "want a phase, got %s", quote(el))
			continue
		}
		ph, ok := messages.ParsePhase(one)
		if !ok {
			p.add(elPath, "unknown phase %q: use %s", clip(one), phaseChoices)
			continue
		}
		set |= 1 << ph
	}
	return set
}

// stickers reads any_sticker: a sticker's name or a list of them. It returns
// the names as written, without a "Sticker | " prefix, and their keys.
func (p *parser) stickers(path string, raw json.RawMessage) (names, keys []string) {
	var list []json.RawMessage
	switch {
	case raw[0] == '"':
		list = []json.RawMessage{raw}
	case raw[0] != '[' || json.Unmarshal(raw, &list) != nil:
		p.add(path, `want a sticker's name or a list of them, e.g. ["Crown (Foil)", "Titan (Holo) | Katowice 2014"], got %s`, quote(raw))
		return nil, nil
	case len(list) == 0:
		p.add(path, `empty list: name at least one sticker, or leave any_sticker out`)
		return nil, nil
	}
	for i, el := range list {
		elPath := path
		if raw[0] == '[' {
			elPath += "[" + strconv.Itoa(i) + "]"
		}
		var name string
		if el[0] != '"' || json.Unmarshal(el, &name) != nil {
			p.add(elPath, "want a sticker's name, got %s", quote(el))
			continue
		}
		name = cutStickerPrefix(name)
		var buf [keyCap]byte
		key, ok := appendFold(buf[:0], name)
		switch {
		case !ok:
			p.add(elPath, "too long: at most %d bytes", maxNameBytes)
			continue
		case len(key) == 0:
			p.add(elPath, `empty: name the sticker as the market does, e.g. "Crown (Foil)"`)
			continue
		}
		names, keys = append(names, strings.Join(strings.Fields(name), " ")), append(keys, string(key))
	}
	return names, keys
}

// stickerCount reads min_stickers: a whole number from 0 to maxStickers.
func (p *parser) stickerCount(path string, raw json.RawMessage) int {
	var v float64
	if isNull(raw) {
		return 0
	}
	if json.Unmarshal(raw, &v) != nil || raw[0] == '"' {
		p.add(path, "want a number of stickers from 0 to %d, got %s", maxStickers, quote(raw))
		return 0
	}
	if v != math.Trunc(v) || v < 0 || v > maxStickers {
		p.add(path, "%s: want a whole number from 0 to %d, the most stickers a weapon takes", formatNumber(v), maxStickers)
		return 0
	}
	return int(v)
}
