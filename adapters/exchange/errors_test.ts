import assert from "node:assert/strict";
import { classifyExchangeError } from "./errors.ts";

function ccxtError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const cases: [string, string, string, string][] = [
  [
    "AuthenticationError",
    'binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}',
    "rejected",
    "API_001",
  ],
  [
    "AuthenticationError",
    'binance {"code":-1022,"msg":"Signature for this request is not valid."}',
    "rejected",
    "API_001",
  ],
  [
    "InvalidOrder",
    'binance {"code":-2010,"msg":"Account has insufficient balance for requested action."}',
    "rejected",
    "TRADE_001",
  ],
  [
    "InvalidOrder",
    'binance {"code":-1013,"msg":"Filter failure: NOTIONAL"}',
    "rejected",
    "TRADE_002",
  ],
  ["BadSymbol", 'binance {"code":-1121,"msg":"Invalid symbol."}', "rejected", "TRADE_003"],
  [
    "InvalidOrder",
    'binance {"code":-2010,"msg":"Order would immediately match and take."}',
    "rejected",
    "TRADE_004",
  ],
  [
    "RateLimitExceeded",
    'binance {"code":-1003,"msg":"Too much request weight used"}',
    "rate_limited",
    "API_003",
  ],
  ["DDoSProtection", "binance 429 Too Many Requests {}", "rate_limited", "API_003"],
  ["DDoSProtection", "binance 418 I'm a teapot {}", "banned", "API_003"],
  [
    "InvalidNonce",
    'binance {"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}',
    "clock_skew",
    "TRADE_004",
  ],
  [
    "RequestTimeout",
    'binance {"code":-1007,"msg":"Timeout waiting for response from backend server."}',
    "temporary",
    "TRADE_004",
  ],
  [
    "OperationFailed",
    'binance {"code":-1001,"msg":"Internal error; unable to process your request."}',
    "temporary",
    "TRADE_004",
  ],
  [
    "ExchangeNotAvailable",
    "binance POST http://x/api/v3/order 503 Service Unavailable",
    "temporary",
    "TRADE_004",
  ],
  ["NetworkError", "binance GET http://x fetch failed", "temporary", "TRADE_004"],
  [
    "OrderNotFound",
    'binance {"code":-2013,"msg":"Order does not exist."}',
    "not_found",
    "TRADE_004",
  ],
];

for (const [name, message, kind, code] of cases) {
  Deno.test(`classifyExchangeError() maps ${name} ${message.slice(8, 40)} to ${kind}/${code}`, () => {
    const failure = classifyExchangeError(ccxtError(name, message), "place order");
    assert.equal(failure.kind, kind);
    assert.equal(failure.error.code, code);
    assert.match(failure.error.message, /^Cannot place order: /);
  });
}

Deno.test("classifyExchangeError() reads Retry-After and the status from the last answer", () => {
  const failure = classifyExchangeError(
    ccxtError("DDoSProtection", "binance 429 {}"),
    "get price",
    {
      status: 429,
      headers: { "Retry-After": "7" },
    },
  );
  assert.equal(failure.retryAfterMs, 7000);
  assert.equal(failure.httpStatus, 429);
});

Deno.test("classifyExchangeError() quotes Binance's message without the raw body", () => {
  const failure = classifyExchangeError(
    ccxtError("InvalidOrder", 'binance {"code":-1013,"msg":"Filter failure: LOT_SIZE"}'),
    'place OCO for "BTCUSDT"',
  );
  assert.equal(
    failure.error.message,
    'Cannot place OCO for "BTCUSDT": Binance said "Filter failure: LOT_SIZE" (code -1013)',
  );
});
