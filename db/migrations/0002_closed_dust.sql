-- AURA: CLOSED_DUST — a position the exchange will not let us sell (below
-- LOT_SIZE minQty or the market NOTIONAL minimum) is written off at the last
-- price; the coins stay in the account. See services/_position_closer.ts.
ALTER TABLE trades DROP CONSTRAINT IF EXISTS trades_status_check;
ALTER TABLE trades ADD CONSTRAINT trades_status_check CHECK (status IN
  ('OPEN', 'CLOSED_TP', 'CLOSED_SL', 'CLOSED_MANUAL', 'CLOSED_SIGNAL', 'CLOSED_DUST', 'FAILED'));
