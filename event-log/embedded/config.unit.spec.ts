import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isContinuityError } from '../../errors/registry.ts';
import { embeddedEventLogDefaults, resolveEmbeddedEventLogOptions, type EmbeddedEventLogOptions } from './config.ts';

describe('embedded event log options', () => {
  it('fills the documented defaults', () => {
    const { onWarning, ...resolved } = resolveEmbeddedEventLogOptions({ dir: '/data/log' });
    assert.equal(typeof onWarning, 'function');
    assert.deepEqual(resolved, {
      dir: '/data/log',
      topic: 'continuity.events.v1',
      partitions: 8,
      partitionsGiven: false,
      segmentBytes: 256 * 1024 * 1024,
      fsync: true,
      pollIntervalMs: 200,
      indexIntervalBytes: 16 * 1024,
    });
    assert.deepEqual(embeddedEventLogDefaults, {
      topic: 'continuity.events.v1',
      partitions: 8,
      segmentBytes: 256 * 1024 * 1024,
      fsync: true,
      pollIntervalMs: 200,
      indexIntervalBytes: 16 * 1024,
    });
  });

  it('keeps what the caller gave', () => {
    const resolved = resolveEmbeddedEventLogOptions({ dir: 'd', topic: 'dead-letters.v1', partitions: 3, segmentBytes: 4096, fsync: false, pollIntervalMs: 5, indexIntervalBytes: 128 });
    assert.deepEqual(
      [resolved.topic, resolved.partitions, resolved.partitionsGiven, resolved.segmentBytes, resolved.fsync, resolved.pollIntervalMs, resolved.indexIntervalBytes],
      ['dead-letters.v1', 3, true, 4096, false, 5, 128],
    );
  });

  const invalid: [string, Partial<EmbeddedEventLogOptions>][] = [
    ['dir', { dir: '' }],
    ['topic', { topic: '../escape' }],
    ['topic', { topic: '..' }],
    ['topic', { topic: 'has space' }],
    ['partitions', { partitions: 0 }],
    ['partitions', { partitions: 1.5 }],
    ['segmentBytes', { segmentBytes: 100 }],
    ['segmentBytes', { segmentBytes: 2 ** 32 }],
    ['pollIntervalMs', { pollIntervalMs: 0 }],
    ['indexIntervalBytes', { indexIntervalBytes: 1 }],
  ];
  for (const [field, patch] of invalid) {
    it(`refuses ${field} = ${JSON.stringify(Object.values(patch)[0])}`, () => {
      assert.throws(
        () => resolveEmbeddedEventLogOptions({ dir: 'd', ...patch }),
        (error: unknown) => isContinuityError(error, 'CONT_ERR_CONFIG_INVALID') && (error.details as { field: string }).field === field,
      );
    });
  }
});
