import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isContinuityError } from '../../errors/registry.ts';
import { formatFromPosition, parseFromPosition, parseReplayTables } from './config.ts';
import { newReplayId } from './replay.ts';

describe('replay options', () => {
  it('--from: earliest, an ISO time with an offset, a date at 00:00 China Standard Time, or partition:offset', () => {
    assert.deepEqual(parseFromPosition('earliest'), { kind: 'earliest' });
    assert.deepEqual(parseFromPosition(''), { kind: 'earliest' });
    assert.deepEqual(parseFromPosition('2020-01-24T08:00:00+08:00'), { kind: 'timestamp', timestamp: Date.UTC(2020, 0, 24, 0, 0, 0) });
    assert.deepEqual(parseFromPosition('2020-01-24T00:00:00.250Z'), { kind: 'timestamp', timestamp: Date.UTC(2020, 0, 24, 0, 0, 0, 250) });
    assert.deepEqual(parseFromPosition('2020-01-24'), { kind: 'timestamp', timestamp: Date.UTC(2020, 0, 23, 16, 0, 0) });
    assert.deepEqual(parseFromPosition('3:1200'), { kind: 'offset', partition: 3, offset: 1200 });
    assert.equal(formatFromPosition(parseFromPosition('2020-01-24')), '2020-01-23T16:00:00.000Z');
    assert.equal(formatFromPosition({ kind: 'offset', partition: 3, offset: 1200 }), '3:1200');
  });

  it('--from refuses a time without an offset and anything else, naming the accepted forms', () => {
    for (const bad of ['2020-01-24T08:00:00', 'yesterday', '3:', '-1:5', '2020-13-01']) {
      assert.throws(
        () => parseFromPosition(bad),
        (e) => isContinuityError(e, 'CONT_ERR_CONFIG_INVALID') && e.message.includes('expected earliest') && e.message.includes(JSON.stringify(bad)),
        bad,
      );
    }
  });

  it('--tables: events and dead_letters, in that order', () => {
    assert.deepEqual(parseReplayTables('dead_letters, events'), ['events', 'dead_letters']);
    assert.deepEqual(parseReplayTables('events'), ['events']);
    assert.throws(() => parseReplayTables('events,daily_rollups'), /expected a comma-separated list of events, dead_letters/);
  });

  it('a replay id sorts by start time and is a valid part of a table name', () => {
    const id = newReplayId(new Date('2020-01-24T10:15:00.123Z'));
    assert.match(id, /^20200124_101500_[0-9a-f]{4}$/);
    assert.match(`events_replay_${id}`, /^[A-Za-z_][A-Za-z0-9_]*$/);
  });
});
