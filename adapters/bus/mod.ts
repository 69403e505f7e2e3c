/**
 * The message bus adapters (see engine/ports/bus.ts for the contract) and the
 * idempotent-consumer helpers every handler should be wrapped with.
 *
 * @module
 */

export { MemoryBus } from "./memory.ts";
export { KvBus } from "./kv.ts";
export { RedisStreamsBus, type RedisStreamsBusOptions } from "./redis_streams.ts";
export { type BusHost, type MessagePortLike, PortBus, serveBus } from "./worker_bridge.ts";
export { Deduper, type DeduperOptions, idempotent } from "./dedupe.ts";
export { type BusConfig, openBus } from "./open_bus.ts";
