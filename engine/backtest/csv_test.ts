import assert from "node:assert/strict";
import { AuraError } from "../errors.ts";
import { parseKlinesCsv } from "./csv.ts";
import { candleAt } from "./series.ts";

const HEADER = "open_time,open,high,low,close,volume,close_time";
const ROW0 =
  "1640995200000,46216.93000000,46731.39000000,46208.37000000,46656.13000000,1503.33095000,1640998799999";
const ROW1 =
  "1640998800000,46656.14000000,46949.99000000,46574.06000000,46778.14000000,943.81539000,1641002399999";

function failure(text: string): string {
  try {
    parseKlinesCsv(text);
  } catch (e) {
    assert.ok(e instanceof AuraError, String(e));
    assert.equal(e.code, "STRATEGY_003");
    assert.ok(!e.message.includes("\n"), "one line");
    return e.message;
  }
  assert.fail("expected STRATEGY_003");
}

Deno.test("parseKlinesCsv reads Binance klines with a header, numbers equal to Number()", () => {
  const s = parseKlinesCsv(`${HEADER}\n${ROW0}\n${ROW1}\n`);
  assert.equal(s.length, 2);
  assert.deepEqual(candleAt(s, 0), {
    openTime: 1640995200000,
    closeTime: 1640998799999,
    open: 46216.93,
    high: 46731.39,
    low: 46208.37,
    close: 46656.13,
    volume: 1503.33095,
  });
  assert.equal(s.close[1], 46778.14);
});

Deno.test("parseKlinesCsv accepts no header, CRLF, no final newline and 12-column raw dumps", () => {
  const raw = (row: string) => `${row},69000000.1,1200,30.5,1400000.2,0`;
  const s = parseKlinesCsv(`${raw(ROW0)}\r\n${raw(ROW1)}`);
  assert.equal(s.length, 2);
  assert.equal(s.closeTime[1], 1641002399999);
  assert.equal(s.volume[1], 943.81539);
});

Deno.test("parseKlinesCsv converts 16-digit microsecond timestamps to ms", () => {
  const s = parseKlinesCsv("1735689600000000,1,2,0.5,1.5,10,1735689659999999\n");
  assert.equal(s.openTime[0], 1735689600000);
  assert.equal(s.closeTime[0], 1735689659999);
});

Deno.test("parseKlinesCsv parses decimals exactly like Number()", () => {
  const values = [
    "0.00001234",
    "123456789.12345678",
    "0.1",
    "3",
    "99999.99999999",
    "1.0000000000000002",
  ];
  for (const v of values) {
    const s = parseKlinesCsv(`1,${v},${v},${v},${v},${v},2\n`);
    assert.equal(s.open[0], Number(v), v);
  }
});

Deno.test("parseKlinesCsv skips blank lines and returns an empty series for a header only", () => {
  assert.equal(parseKlinesCsv(`${HEADER}\n`).length, 0);
  assert.equal(parseKlinesCsv(`${ROW0}\n\n${ROW1}\n\n`).length, 2);
});

Deno.test("parseKlinesCsv names the line of a malformed row", () => {
  assert.match(failure(`${HEADER}\n${ROW0}\n1640998800000,1,2\n`), /line 3 .*7 columns/);
  assert.match(
    failure(`${ROW0}\n1640998800000,abc,2,1,1,1,1641002399999\n`),
    /line 2 .*open "abc"/,
  );
  assert.match(failure(`${ROW0}\n1640998800000,1,,1,1,1,1641002399999\n`), /line 2 .*high ""/);
  assert.match(failure(`x,1,2,1,1,1,2\n${ROW0}\nnope,1,2,1,1,1,2\n`), /line 3 .*open_time "nope"/);
  assert.match(failure(`1,1,2,1,1,1e3,2\n`), /line 1 .*volume "1e3"/);
  assert.match(failure(`1,5,2,1,1,1,2\n`), /line 1 .*low <= open/); // open above high
  assert.match(failure(`5,1,2,1,1,1,5\n`), /line 1 .*close_time/);
});

Deno.test("parseKlinesCsv refuses duplicate and unsorted timestamps", () => {
  assert.match(
    failure(`${HEADER}\n${ROW0}\n${ROW0}\n`),
    /line 3 repeats open_time 1640995200000 of line 2/,
  );
  assert.match(failure(`${ROW1}\n${ROW0}\n`), /line 2 .*before .*sorted/);
});
