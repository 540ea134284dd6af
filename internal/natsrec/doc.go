// Package natsrec is the format of what rollsniper publishes to NATS
// JetStream, and the rules around it:
//
//   - the record: one JSON object a message, the same record as the stdout
//     JSON line (built from the same attributes, internal/record's), with a
//     schema version "v" and every field of the trade, so a consumer gets back
//     the messages.Trade or messages.Match the publisher had (Encoder, Decode);
//   - the subjects (PREFIX.trades, PREFIX.matches) and what a prefix or a
//     consumer name may hold (NewSubjects, CheckDurable);
//   - the Nats-Msg-Id of each message, which lets JetStream keep one copy of
//     a trade that two publishers sent (TradeMsgID, MatchMsgID);
//   - the stream and the consumer rollsniper asks for (StreamConfig,
//     ConsumerConfig), and how a server URL is shown without its password
//     (Redact).
//
// It is plain code: it starts no goroutine and does no I/O.
package natsrec
