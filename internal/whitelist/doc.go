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
// A number may be null, which means no limit; an entry uses it to lift a limit
// the defaults set. What neither the entry nor the defaults say is: wear any,
// stattrak no, souvenir no, no markup limit, no price bounds, joinable_only
// true.
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
// # Matching
//
// List.Match folds a trade's market name (without its prefixes and wear
// suffix) into a key with the trade's wear, StatTrak and Souvenir, looks it up,
// and checks, in order, markup ≤ max_markup, min_price ≤ price ≤ max_price and
// can-join. It returns the entry or the Reason for the rejection. A trade of
// several items is matched on its first item, the one messages.Trade
// describes.
//
// Demo returns a built-in whitelist for the fake feed of the demo mode.
package whitelist
