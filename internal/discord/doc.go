// Package discord is the Discord webhook as rollsniper uses it: the request
// that posts one match as an embed, Discord's documented answers and what each
// means (sent, wait and retry, give up), its rate-limit headers, and the rules
// that keep the webhook's secret URL out of every log and error.
//
// It starts no goroutine and keeps no queue: Client.Post blocks for one
// request, and the actor (actors.Discord) decides when to call it and where.
package discord
