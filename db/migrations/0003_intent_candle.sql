-- AURA: the candle an intent's signal closed on. The execution stage's entry
-- gate decides an ENTRY from memory only when its candle is newer than every
-- ENTRY intent the strategy has (services/_entry_gate.ts): a redelivered or
-- replayed signal then always goes through the database, which knows it.
ALTER TABLE order_intents ADD COLUMN candle_close_time BIGINT;
UPDATE order_intents SET candle_close_time = COALESCE(
    CASE WHEN jsonb_typeof(payload->'trace'->'candleCloseTime') = 'number'
      THEN (payload->'trace'->>'candleCloseTime')::BIGINT END,
    CASE WHEN signal_id ~ '^[0-9]+:[0-9]{1,15}:(ENTRY|EXIT)$'
      THEN split_part(signal_id, ':', 2)::BIGINT END)
  WHERE kind = 'ENTRY';
CREATE INDEX idx_order_intents_entry_candle
  ON order_intents (strategy_id, candle_close_time DESC) WHERE kind = 'ENTRY';
