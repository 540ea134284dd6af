// Package whitelist decides, in well under a microsecond and without
// allocating, whether a trade is one the trader wants: it looks the trade up in
// a map built once from the trader's whitelist file, then checks the matching
// entry's markup, price and can-join bounds.
//
// # The file
//
// A whitelist is a JSON object with an optional "defaults" object and a
// non-empty "items" list:
//
//	{
//	  "defaults": {"wear": "any", "stattrak": "no", "souvenir": "no", "max_markup": 12, "min_price": 0, "max_price": 5000, "joinable_only": true},
//	  "items": [
//	    {"name": "AK-47 | Redline", "wear": "Field-Tested", "max_markup": 8, "max_price": 40},
//	    {"name": "StatTrak™ AK-47 | Redline (Field-Tested)", "max_markup": 5},
//	    {"name": "★ Karambit | Doppler", "wear": ["Factory New", "Minimal Wear"]}
//	  ]
//	}
//
// An entry's keys, each of which may also appear in "defaults" (except name):
//
//   - name (required): the item, as weapon and skin ("AK-47 | Redline") or as a
//     full market name ("StatTrak™ AK-47 | Redline (Field-Tested)"). Case and
//     white space do not matter, nor does the "★" of knives and gloves. A
//     "StatTrak™" (or "StatTrak") or "Souvenir" prefix means stattrak or
//     souvenir "yes"; a "(Field-Tested)" suffix means that wear. A prefix or
//     suffix that contradicts the entry's own field is a problem.
//   - wear: a tier ("Factory New", "Minimal Wear", "Field-Tested", "Well-Worn",
//     "Battle-Scarred", in any case, or FN, MW, FT, WW, BS), "none" (items that
//     have no wear: stickers, cases, agents, vanilla knives), "any" (every tier
//     and items without wear), or a list of these.
//   - stattrak, souvenir: "yes", "no" or "any" (or true, false).
//   - max_markup: the highest markup accepted, in percent (≥ 0).
//   - min_price, max_price: bounds on the trade's total value in coins (≥ 0).
//   - joinable_only: true rejects trades that cannot be joined yet.
//
// These keys belong on an entry only, as they make sense of one item:
//
//   - phase: a Doppler's or Gamma Doppler's phase ("Phase 1" to "Phase 4",
//     "Ruby", "Sapphire", "Black Pearl", "Emerald"), a list of them, or
//     "any". The name may carry it as CSGORoll writes it: "★ Karambit |
//     Doppler Ruby" is "★ Karambit | Doppler" with phase "Ruby".
//   - min_float, max_float: bounds on the item's float (its paint wear, 0 to
//     1), inclusive. The feed gives one float per trade, averaged over its
//     items, so a trade of several items fails them.
//   - any_sticker: a sticker's name or a list of them ("Crown (Foil)", with or
//     without "Sticker | "): the item must have one of them.
//   - min_stickers: how many stickers the item must have at least, 0 to 5.
//   - unchecked: true skips the name's check against the item catalogue.
//
// A number may be null, which means no limit; an entry uses it to lift a limit
// the defaults set. What neither the entry nor the defaults say is: wear any,
// stattrak no, souvenir no, no markup limit, no price bounds, joinable_only
// true, any phase, any float, any stickers.
//
// Each (name, wear, StatTrak, Souvenir) may belong to one entry only: two
// entries that overlap are a duplicate, so a trade matches one entry or none.
// StatTrak and plain variants of a skin are distinct and may have entries of
// their own.
//
// # Validation
//
// Parse and Load report every problem at once, in a *ValidationError, each with
// the entry's index and field and what to fix:
//
//	items[3].wear: unknown wear tier "Fresh": use Factory New, Minimal Wear, Field-Tested, Well-Worn, Battle-Scarred (or FN, MW, FT, WW, BS), none, or any
//
// Unless an entry is unchecked, its name is checked against the item
// catalogue (package catalog): a name that is no item is a problem that names
// the closest real one, and so are a wear, StatTrak™ version, phase, float or
// sticker the item never has. A kind of item the catalogue does not list (a
// sticker, case, charm...) is accepted with a warning, which List.Warnings
// returns:
//
//	items[0].name: AK-47 has no finish "Redlien": did you mean "AK-47 | Redline"? (an item newer than the catalogue can stay as written with "unchecked": true on its entry)
//	items[4].wear: AK-47 | Bloodsport is never Battle-Scarred: its float range 0-0.45 gives Factory New, Minimal Wear, Field-Tested or Well-Worn
//
// # Matching
//
// List.Match folds a trade's market name (without its prefixes, wear suffix
// and phase) into a key with the trade's wear, StatTrak, Souvenir and phase,
// looks it up, and checks, in order, the float bounds, the stickers, markup ≤
// max_markup, min_price ≤ price ≤ max_price and can-join. It returns the entry
// or the Reason for the rejection, which names the one bound that failed. A
// trade of several items is matched on its first item, the one
// messages.Trade describes.
//
// Demo returns a built-in whitelist for the fake feed of the demo mode.
package whitelist
