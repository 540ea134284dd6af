package whitelist_test

import (
	"fmt"

	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

func Example() {
	l, err := whitelist.Parse([]byte(`{
	  "defaults": {"max_markup": 12},
	  "items": [
	    {"name": "AK-47 | Redline", "wear": "Field-Tested", "max_markup": 8, "max_price": 40},
	    {"name": "StatTrak™ AK-47 | Redline (Field-Tested)", "max_markup": 5}
	  ]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range []messages.Trade{
		{MarketName: "AK-47 | Redline (Field-Tested)", Wear: messages.WearFieldTested, MarkupPercent: 7, TotalValue: 27.45, CanJoin: true},
		{MarketName: "StatTrak™ AK-47 | Redline (Field-Tested)", Wear: messages.WearFieldTested, StatTrak: true, MarkupPercent: 7, TotalValue: 45.3, CanJoin: true},
		{MarketName: "AK-47 | Redline (Minimal Wear)", Wear: messages.WearMinimalWear, MarkupPercent: 1, TotalValue: 30, CanJoin: true},
	} {
		i, reason := l.Match(&t)
		if reason != whitelist.Matched {
			fmt.Printf("%s: %v\n", t.MarketName, reason)
			continue
		}
		fmt.Printf("%s: matches %v\n", t.MarketName, l.Entry(i))
	}
	// Output:
	// AK-47 | Redline (Field-Tested): matches #0 AK-47 | Redline, Field-Tested, max markup 8%, price 0-40
	// StatTrak™ AK-47 | Redline (Field-Tested): markup_too_high
	// AK-47 | Redline (Minimal Wear): no_entry
}

func ExampleParse_problems() {
	_, err := whitelist.Parse([]byte(`{"items": [
	  {"name": "AK-47 | Redline", "wear": "Fresh", "maxmarkup": 8},
	  {"name": "AWP | Asiimov", "min_price": 50, "max_price": 40}
	]}`))
	fmt.Println(err)
	// Output:
	// items[0]: unknown key "maxmarkup": did you mean "max_markup"?
	// items[0].wear: unknown wear tier "Fresh": use Factory New, Minimal Wear, Field-Tested, Well-Worn, Battle-Scarred (or FN, MW, FT, WW, BS), none, or any
	// items[1].min_price: 50 is above max_price 40: lower min_price or raise max_price
}
