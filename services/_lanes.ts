/**
 * Ordering of the execution service's work. Each strategy has a lane: its
 * signals, order events and closes run one after another, in the order they
 * were queued (an EXIT before the re-ENTRY of the same candle). Lanes of
 * different strategies run concurrently, so one user's hundred strategies
 * enter together instead of queueing behind each other. Work that must see a
 * user's whole book at rest (reconciliation) takes the user exclusively: it
 * starts after everything queued before it for that user and holds back
 * everything queued after it.
 *
 * @module
 */

type Tail = Promise<void>;

interface UserLanes {
  /** The last exclusive piece of work (settled-safe). */
  exclusive: Tail;
  /** The last piece of work per strategy (settled-safe). */
  readonly strategies: Map<number, Tail>;
}

const settled = (promise: Promise<unknown>): Tail => promise.then(() => {}, () => {});

/**
 * Per-strategy lanes with per-user exclusive work (see the module doc).
 *
 * @example
 * ```ts
 * const lanes = new Lanes();
 * lanes.strategy(7, 42, () => handleExit());   // runs now
 * lanes.strategy(7, 42, () => handleEntry());  // after the exit
 * lanes.strategy(7, 43, () => handleEntry());  // beside them
 * lanes.exclusive(7, () => reconcileUser(7));  // after all three
 * ```
 */
export class Lanes {
  readonly #users = new Map<number, UserLanes>();

  /** Runs `work` after the strategy's earlier work and the user's earlier exclusive work. */
  strategy<T>(userId: number, strategyId: number, work: () => Promise<T>): Promise<T> {
    const user = this.#user(userId);
    const before = user.strategies.get(strategyId);
    const wait = before ? Promise.all([before, user.exclusive]) : user.exclusive;
    const run = wait.then(work);
    const tail = settled(run);
    user.strategies.set(strategyId, tail);
    void tail.then(() => {
      if (user.strategies.get(strategyId) === tail) user.strategies.delete(strategyId);
    });
    return run;
  }

  /** Runs `work` after all of the user's earlier work, holding back what is queued after it. */
  exclusive<T>(userId: number, work: () => Promise<T>): Promise<T> {
    const user = this.#user(userId);
    const run = Promise.all([user.exclusive, ...user.strategies.values()]).then(work);
    user.exclusive = settled(run);
    return run;
  }

  /** Resolves once every piece of work queued so far (and any it queued meanwhile) has finished. */
  async idle(): Promise<void> {
    while (true) {
      const tails = this.#tails();
      await Promise.all(tails);
      const now = this.#tails();
      if (now.length === tails.length && now.every((tail, i) => tail === tails[i])) return;
    }
  }

  #tails(): Tail[] {
    return [...this.#users.values()].flatMap((u) => [u.exclusive, ...u.strategies.values()]);
  }

  #user(userId: number): UserLanes {
    let user = this.#users.get(userId);
    if (!user) {
      user = { exclusive: Promise.resolve(), strategies: new Map() };
      this.#users.set(userId, user);
    }
    return user;
  }
}
