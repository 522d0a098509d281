/**
 * Crash tests of the whole pipeline, with real processes and SIGKILL:
 *
 *   (a) the service, with its processors, killed N times at random points while
 *       producers keep sending: every event counted exactly once in the end;
 *   (b) the service killed with requests in flight: every request answered 200
 *       is in the warehouse exactly once after the restart, and a producer's
 *       retry of an unanswered request (same ids) counts once.
 *
 * Kill points come from a seeded PRNG (printed), so a failure can be replayed.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lagOf, send, startServiceChild, untilProcessed, type Outcome, type ServiceChild } from '../test-support/crash/service-child.ts';
import { makeToken, ndjson, prng, seededUuid, tokenEntries, waived } from '../test-support/safety.ts';
import { tempDir } from '../test-support/temp.ts';
import type { ContinuityEvent } from '../schemas/index.ts';

const ORGS = ['sgcc', 'sgcc-sh', 'csg-gd', 'china-mobile', 'china-telecom', 'china-unicom', 'cr-gas'];
const producer = makeToken({ name: 'producer', orgs: ['*'], scopes: ['ingest', 'sql'] });
const env = { CONTINUITY_TOKENS: JSON.stringify(tokenEntries([producer])) };
const auth = { authorization: `Bearer ${producer.token}` };
const fmt = (n: number) => n.toLocaleString('en-US');

function eventSource(seed: number) {
  const rng = prng(seed);
  return (n: number): ContinuityEvent[] => Array.from({ length: n }, () => waived(ORGS[Math.floor(rng() * ORGS.length)], seededUuid(rng), 1 + Math.floor(rng() * 1000)));
}

function post(url: string, events: ContinuityEvent[]): Promise<Outcome> {
  return send(url, '/v1/events', { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...auth }, body: ndjson(events) });
}

async function sql<T>(url: string, query: string, params?: Record<string, unknown>): Promise<T> {
  const res = await send(url, '/v1/sql', { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ query, format: 'json', params }) });
  assert.equal(res.status, 200, JSON.stringify(res));
  return JSON.parse((res as { body: string }).body) as T;
}

interface Totals {
  n: number;
  ids: number;
  q: number;
}

const totals = (url: string) => sql<Totals>(url, 'SELECT count() AS n, uniqExact(id) AS ids, sum(quantity) AS q FROM events');

describe('crash tests: the service killed with SIGKILL', () => {
  const tmp = tempDir();
  let service: ServiceChild | null = null;
  // Every child started, so none outlives a failed test.
  const started = new Set<ServiceChild>();
  const start = async (args: string[]) => {
    const child = await startServiceChild(args, env);
    started.add(child);
    return child;
  };
  after(async () => {
    await Promise.all([...started].map((c) => c.kill()));
    tmp.cleanup();
  });

  it('(a) processors killed N times at random points while ingesting: every event counted exactly once', { timeout: 120_000 }, async () => {
    const SEED = 20240601;
    const KILLS = 6;
    const rng = prng(SEED);
    const next = eventSource(SEED + 1);
    const dataDir = join(tmp.dir, 'a');
    // Small warehouse batches: many inserts and offset commits for a kill to land between or inside.
    const args = ['--data-dir', dataDir, '--port', '0', '--batch-records', '200', '--rate', '0'];
    service = await start(args);

    const sent = new Map<string, number>();
    let requests = 0;
    let resent = 0;
    let kills = 0;
    let killedBehind = 0;
    let up: Promise<ServiceChild> = Promise.resolve(service);

    // Two producers send batches of 100 until the last kill is over; a batch the
    // service did not answer is sent again, same ids, to whichever service is up.
    const produce = async () => {
      while (kills < KILLS) {
        const batch = next(100);
        for (const e of batch) sent.set(e.id, e.quantity);
        for (;;) {
          const current = await up;
          const res = await post(current.url, batch);
          requests++;
          if (res.status === 200) break;
          assert.equal(res.status, 'unanswered', JSON.stringify(res));
          resent++;
        }
      }
    };
    const killer = async () => {
      while (kills < KILLS) {
        await sleep(250 + Math.floor(rng() * 900));
        const victim = service!;
        const lag = await lagOf(victim.url);
        let restarted!: (s: ServiceChild) => void;
        up = new Promise((r) => (restarted = r));
        await victim.kill();
        kills++;
        if (lag !== null && lag > 0) killedBehind++;
        service = await start(args);
        restarted(service);
      }
    };
    await Promise.all([produce(), produce(), killer()]);

    await untilProcessed(service.url);
    const t = await totals(service.url);
    const expectedQ = [...sent.values()].reduce((a, b) => a + b, 0);
    const lost = sent.size - t.ids;
    const doubled = t.n - t.ids;
    console.log(
      `crash (a), seed ${SEED}: ${kills} SIGKILLs survived (${killedBehind} with the processors behind the log); ${fmt(sent.size)} events sent in ${fmt(requests)} requests ` +
        `(${resent} unanswered and sent again); warehouse: ${fmt(t.n)} rows, ${fmt(t.ids)} ids, quantity ${fmt(t.q)} of ${fmt(expectedQ)}; events lost: ${lost}, double-counted: ${doubled}`,
    );
    assert.equal(kills, KILLS);
    assert.ok(killedBehind > 0, 'no kill landed while the processors had work in hand');
    assert.deepEqual(t, { n: sent.size, ids: sent.size, q: expectedQ });
    assert.equal(lost, 0);
    assert.equal(doubled, 0);
    await service.stop();
    service = null;
  });

  it('(b) the service killed with requests in flight: every 200 is there exactly once, and a retry of an unanswered request counts once', { timeout: 120_000 }, async () => {
    const SEED = 7_7_2022;
    const ROUNDS = 3;
    const PRODUCERS = 6;
    const rng = prng(SEED);
    const next = eventSource(SEED + 1);
    const dataDir = join(tmp.dir, 'b');
    const args = ['--data-dir', dataDir, '--port', '0', '--rate', '0'];
    service = await start(args);

    const acknowledged = new Map<string, number>();
    let answered = 0;
    let unansweredRequests = 0;
    let unansweredFound = 0;
    let unansweredEvents = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const current = service;
      const url = current.url;
      let timeUp = false;
      let killed = false;
      let kill: Promise<void> = Promise.resolve();
      const unanswered: ContinuityEvent[][] = [];
      const producers = Array.from({ length: PRODUCERS }, async () => {
        while (!killed) {
          const batch = next(50 + Math.floor(rng() * 150));
          const pending = post(url, batch);
          // Killed right after a request went out: at least that one is in
          // flight, whatever became of the others (on a loaded machine they
          // may all have been answered by the time a timer fired).
          if (timeUp && !killed) {
            killed = true;
            kill = current.kill();
          }
          const res = await pending;
          if (res.status === 200) {
            answered++;
            for (const e of batch) acknowledged.set(e.id, e.quantity);
          } else {
            assert.equal(res.status, 'unanswered', JSON.stringify(res));
            unanswered.push(batch);
          }
        }
      });
      await sleep(300 + Math.floor(rng() * 700));
      timeUp = true;
      await Promise.all(producers);
      await kill;
      assert.ok(unanswered.length > 0, `round ${round}: no request was in flight at the kill`);

      service = await start(args);
      await untilProcessed(service.url);
      // Every acknowledged event is there, once; nothing is there twice.
      const acked = [...acknowledged.keys()];
      const present = await sql<{ n: number }>(service.url, 'SELECT count() AS n FROM events WHERE id IN {ids:Array(String)}', { ids: acked });
      assert.equal(present.n, acked.length, `round ${round}: acknowledged events missing after the restart`);
      const t = await totals(service.url);
      assert.equal(t.n, t.ids, `round ${round}: an event is counted twice`);
      // Events of unanswered requests may or may not have reached the log before the kill.
      const pending = unanswered.flat();
      const { n: found } = await sql<{ n: number }>(service.url, 'SELECT count() AS n FROM events WHERE id IN {ids:Array(String)}', { ids: pending.map((e) => e.id) });
      unansweredRequests += unanswered.length;
      unansweredEvents += pending.length;
      unansweredFound += found;
      // The producer retries them, same ids, against the restarted service.
      for (const batch of unanswered) {
        const res = await post(service.url, batch);
        assert.equal(res.status, 200, JSON.stringify(res));
        for (const e of batch) acknowledged.set(e.id, e.quantity);
      }
    }
    await untilProcessed(service.url);
    const t = await totals(service.url);
    const expectedQ = [...acknowledged.values()].reduce((a, b) => a + b, 0);
    console.log(
      `crash (b), seed ${SEED}: ${ROUNDS} SIGKILLs with ${PRODUCERS} producers sending; ${answered} requests answered 200 before a kill, all present exactly once after the restart; ` +
        `${unansweredRequests} unanswered (${fmt(unansweredEvents)} events, ${fmt(unansweredFound)} of which had reached the log), retried with the same ids; ` +
        `warehouse: ${fmt(t.n)} rows, ${fmt(t.ids)} ids, quantity ${fmt(t.q)} of ${fmt(expectedQ)}; events lost: ${acknowledged.size - t.ids}, double-counted: ${t.n - t.ids}`,
    );
    assert.deepEqual(t, { n: acknowledged.size, ids: acknowledged.size, q: expectedQ });
    assert.equal(await service.stop(), 0);
    service = null;
  });
});
