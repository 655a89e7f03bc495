// What holds a retiring runtime (server/models/requests.ts): the requests for its model that were in
// progress when it retired, and nothing else.
import { describe, expect, it } from 'vitest';
import { RequestsInProgress } from '../../server/models/requests.ts';

const settledNow = async (p: Promise<void>) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);

describe('RequestsInProgress', () => {
  it('a retirement waits for the requests of its model that came before it, not for other models or later requests', async () => {
    const r = new RequestsInProgress();
    const longStreamOnA = r.enter('a');
    const earlyOnB = r.enter('b');
    const retiredB = r.settled('b');
    const lateOnB = r.enter('b'); // arrives after the retirement: it looks up the new runtime
    expect(await settledNow(retiredB)).toBe(false);
    earlyOnB();
    expect(await settledNow(retiredB)).toBe(true);
    expect(await settledNow(r.settled('c'))).toBe(true);
    const retiredA = r.settled('a');
    expect(await settledNow(retiredA)).toBe(false);
    longStreamOnA();
    longStreamOnA(); // a second release does nothing
    expect(await settledNow(retiredA)).toBe(true);
    lateOnB();
  });
});
