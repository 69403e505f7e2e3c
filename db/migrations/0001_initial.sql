-- AURA schema, version 1.
-- The design document's tables, columns, constraints and indexes are kept as
-- written (users, user_api_keys, strategies, trades, backtest_results,
-- system_logs). Every addition is marked "AURA:" with the reason.

CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    username VARCHAR(50) UNIQUE NOT NULL,
    email VARCHAR(100) UNIQUE NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    -- AURA: paper/live mode per user (issue 6); paper is the safe default.
    trading_mode VARCHAR(10) NOT NULL DEFAULT 'paper' CHECK (trading_mode IN ('paper', 'live')),
    -- AURA: UI preferences (theme, default interval, ...), free-form but validated by the API.
    preferences JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE user_api_keys (
    id SERIAL PRIMARY KEY,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    binance_api_key VARCHAR(255) NOT NULL,
    -- Holds "<keyId>:<iv base64>:<ciphertext base64>" (AES-256-GCM, user id as AAD);
    -- the key id lets the master key rotate.
    binance_secret_key_encrypted TEXT NOT NULL,
    is_active BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    -- AURA: last validation against the exchange (status endpoint), cached.
    last_validated_at TIMESTAMPTZ,
    last_status JSONB
);
-- AURA: at most one active key pair per user.
CREATE UNIQUE INDEX idx_user_api_keys_active_user ON user_api_keys(user_id) WHERE is_active;

CREATE TABLE strategies (
    id SERIAL PRIMARY KEY,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL,
    symbol VARCHAR(20) NOT NULL,
    interval VARCHAR(5) NOT NULL,
    entry_conditions JSONB NOT NULL,
    exit_conditions JSONB NOT NULL,
    risk_params JSONB NOT NULL,
    is_active BOOLEAN DEFAULT FALSE,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    -- AURA: set when the max-drawdown breaker halted the strategy (cleared on re-activation).
    halted_at TIMESTAMPTZ,
    halt_reason TEXT
);
-- AURA: strategies are listed per user and fanned out by (symbol, interval) when active.
CREATE INDEX idx_strategies_user_id ON strategies(user_id);
CREATE INDEX idx_strategies_active_market ON strategies(symbol, interval) WHERE is_active;

CREATE TABLE trades (
    id SERIAL PRIMARY KEY,
    strategy_id INTEGER REFERENCES strategies(id) ON DELETE CASCADE,
    binance_order_id_entry BIGINT UNIQUE NOT NULL,
    binance_order_id_oco BIGINT,
    symbol VARCHAR(20) NOT NULL,
    -- AURA: CLOSED_SIGNAL added: a position closed by the strategy's exit conditions
    -- (market sell after cancelling the OCO), told apart from a manual close.
    status VARCHAR(20) NOT NULL CHECK (status IN ('OPEN', 'CLOSED_TP', 'CLOSED_SL', 'CLOSED_MANUAL', 'CLOSED_SIGNAL', 'FAILED')),
    entry_price DECIMAL(20, 10) NOT NULL,
    exit_price DECIMAL(20, 10),
    quantity DECIMAL(20, 10) NOT NULL,
    entry_timestamp TIMESTAMPTZ NOT NULL,
    exit_timestamp TIMESTAMPTZ,
    pnl DECIMAL(20, 10),
    fees DECIMAL(20, 10) DEFAULT 0,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    -- AURA: owner, so every trade query is scoped by user without a join.
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- AURA: the signal that opened it (strategyId:closeTime:ENTRY) and the deterministic
    -- client order ids, so a crash at any step is reconciled by asking the exchange.
    signal_id VARCHAR(100) UNIQUE NOT NULL,
    client_order_id_entry VARCHAR(36) UNIQUE NOT NULL,
    oco_list_client_order_id VARCHAR(36),
    client_order_id_exit VARCHAR(36),
    binance_order_id_exit BIGINT,
    -- AURA: paper trades live beside real ones; the UI and the portfolio tell them apart.
    is_paper BOOLEAN NOT NULL DEFAULT TRUE,
    -- AURA: OCO levels shown in the UI (take-profit limit, stop trigger, stop limit).
    take_profit_price DECIMAL(20, 10),
    stop_loss_price DECIMAL(20, 10),
    stop_limit_price DECIMAL(20, 10),
    -- AURA: entry fee and exit fee kept apart (fees = their sum, in quote asset).
    entry_fee DECIMAL(20, 10) NOT NULL DEFAULT 0,
    exit_fee DECIMAL(20, 10) NOT NULL DEFAULT 0,
    -- AURA: why a trade FAILED or was flattened; latency trace candle → OCO ack.
    failure_reason TEXT,
    latency JSONB,
    updated_at TIMESTAMPTZ DEFAULT NOW()
);
CREATE INDEX idx_trades_strategy_id ON trades(strategy_id);
CREATE INDEX idx_trades_status ON trades(status);
CREATE INDEX idx_trades_entry_timestamp ON trades(entry_timestamp);
-- AURA: history and portfolio read a user's trades newest first.
CREATE INDEX idx_trades_user_entry ON trades(user_id, entry_timestamp DESC);

CREATE TABLE backtest_results (
    id SERIAL PRIMARY KEY,
    strategy_id INTEGER REFERENCES strategies(id) ON DELETE CASCADE,
    start_date TIMESTAMPTZ NOT NULL,
    end_date TIMESTAMPTZ NOT NULL,
    total_trades INTEGER NOT NULL,
    winning_trades INTEGER NOT NULL,
    losing_trades INTEGER NOT NULL,
    total_pnl DECIMAL(20, 10) NOT NULL,
    max_drawdown DECIMAL(10, 4) NOT NULL,
    sharpe_ratio DECIMAL(10, 4),
    win_rate DECIMAL(5, 4) NOT NULL,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    -- AURA: the run's inputs (strategy snapshot, fee, slippage, initial balance),
    -- its trade list and a downsampled equity curve, so a result can be shown again.
    params JSONB NOT NULL DEFAULT '{}'::jsonb,
    trades JSONB NOT NULL DEFAULT '[]'::jsonb,
    equity_curve JSONB NOT NULL DEFAULT '[]'::jsonb,
    candles INTEGER NOT NULL DEFAULT 0
);
-- AURA: results are listed per strategy, newest first.
CREATE INDEX idx_backtest_results_strategy ON backtest_results(strategy_id, created_at DESC);

CREATE TABLE system_logs (
    id BIGSERIAL PRIMARY KEY,
    timestamp TIMESTAMPTZ DEFAULT NOW(),
    level VARCHAR(10) NOT NULL CHECK (level IN ('DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL')),
    service VARCHAR(50) NOT NULL,
    message TEXT NOT NULL,
    metadata JSONB,
    user_id INTEGER REFERENCES users(id)
);
CREATE INDEX idx_system_logs_timestamp ON system_logs(timestamp);
CREATE INDEX idx_system_logs_level ON system_logs(level);

-- AURA: refresh tokens, stored hashed (SHA-256); rotated on each use. A token
-- presented after rotation revokes its whole family (theft detection).
CREATE TABLE refresh_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family_id UUID NOT NULL,
    token_hash CHAR(64) UNIQUE NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    rotated_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT NOW()
);
CREATE INDEX idx_refresh_tokens_family ON refresh_tokens(family_id);

-- AURA: cache of historical klines fetched through REST (warm-up, backtests, gap
-- backfill). Prices as exact decimals; one row per (symbol, interval, open time).
CREATE TABLE klines (
    symbol VARCHAR(20) NOT NULL,
    interval VARCHAR(5) NOT NULL,
    open_time BIGINT NOT NULL,
    close_time BIGINT NOT NULL,
    open DECIMAL(24, 10) NOT NULL,
    high DECIMAL(24, 10) NOT NULL,
    low DECIMAL(24, 10) NOT NULL,
    close DECIMAL(24, 10) NOT NULL,
    volume DECIMAL(30, 10) NOT NULL,
    PRIMARY KEY (symbol, interval, open_time),
    CHECK (high >= low AND low > 0 AND volume >= 0)
);

-- AURA: every order the execution engine is about to send, persisted with its
-- deterministic client id BEFORE sending, so a crash between "sent" and "recorded"
-- is recovered by asking the exchange for that client id (reconciliation).
CREATE TABLE order_intents (
    client_order_id VARCHAR(36) PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    strategy_id INTEGER REFERENCES strategies(id) ON DELETE CASCADE,
    trade_id INTEGER REFERENCES trades(id) ON DELETE CASCADE,
    signal_id VARCHAR(100) NOT NULL,
    kind VARCHAR(10) NOT NULL CHECK (kind IN ('ENTRY', 'OCO', 'EXIT', 'CANCEL')),
    status VARCHAR(10) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DONE', 'FAILED')),
    symbol VARCHAR(20) NOT NULL,
    is_paper BOOLEAN NOT NULL,
    payload JSONB NOT NULL,
    result JSONB,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW()
);
CREATE INDEX idx_order_intents_pending ON order_intents(status) WHERE status = 'PENDING';

-- AURA: live strategy state: last processed candle (a restart neither skips nor
-- repeats one), drawdown peak for the breaker, indicator snapshot.
CREATE TABLE strategy_runtime (
    strategy_id INTEGER PRIMARY KEY REFERENCES strategies(id) ON DELETE CASCADE,
    last_candle_close_time BIGINT,
    peak_equity DECIMAL(24, 10),
    state JSONB,
    updated_at TIMESTAMPTZ DEFAULT NOW()
);

-- AURA: per-user equity snapshots for the dashboard's equity curve.
CREATE TABLE equity_snapshots (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    taken_at TIMESTAMPTZ NOT NULL,
    equity DECIMAL(24, 10) NOT NULL,
    PRIMARY KEY (user_id, taken_at)
);

-- AURA: idempotent consumers remember which event ids they handled.
CREATE TABLE processed_events (
    consumer VARCHAR(50) NOT NULL,
    event_id VARCHAR(150) NOT NULL,
    processed_at TIMESTAMPTZ DEFAULT NOW(),
    PRIMARY KEY (consumer, event_id)
);
