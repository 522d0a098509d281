/**
 * The block reader gives exactly the lines the line-by-line reader gives:
 * numbers, CRLF, byte-order marks, blank lines, lines that are not UTF-8 and
 * lines too long, whatever the chunk boundaries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fuzzCases, overlongLine } from '../test-support/fuzz.ts';
import { prng } from '../test-support/safety.ts';
import type { InputLine } from './accept.ts';
import { decodeUtf8, linesOfBlock, MAX_LINE_BYTES, readLineBlocks, readLines, type LineBlock } from './lines.ts';

async function* chunked(body: Buffer, rng: () => number, maxChunk: number) {
  for (let p = 0; p < body.length; ) {
    const n = 1 + Math.floor(rng() * maxChunk);
    yield body.subarray(p, p + n);
    p += n;
  }
}

async function viaReadLines(body: Buffer, rng: () => number, maxChunk: number): Promise<InputLine[]> {
  const out: InputLine[] = [];
  for await (const { bytes: _bytes, ...line } of readLines(chunked(body, rng, maxChunk))) out.push(line);
  return out;
}

async function viaBlocks(body: Buffer, rng: () => number, maxChunk: number, blockBytes: number): Promise<LineBlock[]> {
  const out: LineBlock[] = [];
  for await (const block of readLineBlocks(chunked(body, rng, maxChunk), blockBytes)) out.push(block);
  return out;
}

/** A block's lines as a worker reads them, checking that its numbers run on from the block before. */
function blockLines(blocks: LineBlock[]): InputLine[] {
  const out: InputLine[] = [];
  let next = 1;
  for (const block of blocks) {
    assert.ok(block.firstLine >= next, `block at ${block.firstLine} after line ${next - 1}`);
    if (block.bytes) {
      const count = linesOfBlock(block.bytes, block.firstLine, (line, text, invalid) => out.push(invalid ? { line, text, invalid } : { line, text }));
      next = block.firstLine + count;
    } else {
      out.push(block.line);
      next = block.firstLine + 1;
    }
  }
  return out;
}

describe('readLineBlocks', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const cases = fuzzCases(600, 22).map((c) => c.bytes);
  const odd = [
    Buffer.alloc(0),
    Buffer.from('\r'),
    Buffer.from('  '),
    Buffer.concat([bom, bom, Buffer.from('{"a":1}')]),
    Buffer.from('{"x":"é"}\r'),
    Buffer.from([0xe4, 0xb8]),
    Buffer.from('x'.repeat(MAX_LINE_BYTES)),
    Buffer.concat([Buffer.from('x'.repeat(MAX_LINE_BYTES)), Buffer.from('\r')]),
    Buffer.from('x'.repeat(MAX_LINE_BYTES + 1)),
    Buffer.from('é'.repeat(MAX_LINE_BYTES / 2 + 1)),
    Buffer.from('ÿ'.repeat(MAX_LINE_BYTES / 2)),
    Buffer.from(`${'ÿ'.repeat(MAX_LINE_BYTES / 2)}\r`),
    overlongLine(5).bytes,
    // Blank once decoded (what trim removes is not all ASCII), and a BOM before non-ASCII text.
    Buffer.from('\u00a0'),
    Buffer.from('\u3000\r'),
    Buffer.concat([bom, Buffer.from('{"é":"ü"}\r')]),
    Buffer.from('{"x":"\u00a0"}'),
  ];
  const lines = (parts: Buffer[]) => Buffer.concat(parts.flatMap((b) => [b, Buffer.from('\n')]));
  const body = lines([...cases, ...odd, ...cases.slice(0, 50)]);
  const small = lines([...cases, ...odd.filter((b) => b.length < 1000)]);

  for (const [maxChunk, blockBytes, seed] of [
    [7, 1, 1],
    [300, 4096, 2],
    [64 * 1024, 100_000, 3],
    [1024 * 1024, 4 * 1024 * 1024, 4],
    [3 * 1024 * 1024, 1, 5],
  ]) {
    it(`gives readLines' lines from chunks of up to ${maxChunk} bytes in blocks of ${blockBytes}`, async () => {
      const input = maxChunk < 1000 ? small : body;
      const expected = await viaReadLines(input, prng(seed), maxChunk);
      const blocks = await viaBlocks(input, prng(seed), maxChunk, blockBytes);
      assert.deepEqual(blockLines(blocks), expected);
      for (const block of blocks) {
        if (!block.bytes) continue;
        // Transferable as it is: the block's memory is its own.
        assert.equal(block.bytes.byteOffset, 0);
        assert.equal(block.bytes.byteLength, block.bytes.buffer.byteLength);
        assert.ok(block.bytes.length > 0);
      }
      // Carried and then rejected: only a line over the limit that runs past a chunk is read on this thread.
      assert.ok(blocks.every((b) => b.bytes || b.line.invalid?.reason.startsWith('line of ')));
    });
  }

  it('cuts at whole lines and numbers a last line without a newline', async () => {
    const text = Buffer.from('{"a":1}\r\n\n  \r\n\uFEFF{"b":2}\n{"c":3}');
    const input = async function* () {
      yield text.subarray(0, 10);
      yield text.subarray(10, 21);
      yield text.subarray(21);
    };
    const blocks: LineBlock[] = [];
    for await (const block of readLineBlocks(input(), 8)) blocks.push(block);
    assert.deepEqual(
      blocks.map((b) => [b.firstLine, b.bytes?.toString()]),
      [
        [1, '{"a":1}\r\n\n'],
        [3, '  \r\n\uFEFF{"b":2}\n'],
        [5, '{"c":3}'],
      ],
    );
    assert.deepEqual(blockLines(blocks), [
      { line: 1, text: '{"a":1}' },
      { line: 4, text: '{"b":2}' },
      { line: 5, text: '{"c":3}' },
    ]);
    assert.equal(linesOfBlock(Buffer.alloc(0), 7, () => assert.fail('no line')), 0);
    assert.equal(linesOfBlock(Buffer.from('\n'), 7, () => assert.fail('a blank line')), 1);
  });

  it('decodes as UTF-8 only the lines of a block that are not ASCII', () => {
    const got: unknown[] = [];
    const count = linesOfBlock(Buffer.from('{"a":1}\r\n\uFEFF{"é":1}\r\n\u00a0\n{"b":"ü"}\n'), 10, (line, text, invalid) => got.push([line, text, invalid]));
    assert.equal(count, 4);
    assert.deepEqual(got, [
      [10, '{"a":1}', undefined],
      [11, '{"é":1}', undefined],
      [13, '{"b":"ü"}', undefined],
    ]);
  });

  it('yields a line too long that runs past a chunk on its own, between the blocks around it', async () => {
    const long = Buffer.from('y'.repeat(MAX_LINE_BYTES + 5));
    const body = Buffer.concat([Buffer.from('{"a":1}\n'), long, Buffer.from('\n{"b":2}\n')]);
    const blocks = await viaBlocks(body, () => 0.999, 64 * 1024, 1);
    assert.deepEqual(
      blocks.map((b) => (b.bytes ? [b.firstLine, b.bytes.toString()] : [b.firstLine, b.line.line, b.line.text.length, b.line.invalid?.reason])),
      [
        [1, '{"a":1}\n'],
        [2, 2, 4097, `line of ${MAX_LINE_BYTES + 5} bytes is longer than ${MAX_LINE_BYTES} (an event is at most a few KiB); only its first 4096 bytes were kept`],
        [3, '{"b":2}\n'],
      ],
    );
  });
});

describe('decodeUtf8', () => {
  it('is a fatal TextDecoder: the same text, null where it throws', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    const rng = prng(8);
    const bytes = [0x00, 0x0a, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbb, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
    let invalid = 0;
    for (let i = 0; i < 50_000; i++) {
      const b = Buffer.from(Array.from({ length: Math.floor(rng() * 8) }, () => bytes[Math.floor(rng() * bytes.length)]));
      if (rng() < 0.2) b.set([0xef, 0xbb, 0xbf].slice(0, b.length));
      let expected: string | null;
      try {
        expected = strict.decode(b);
      } catch {
        expected = null;
        invalid++;
      }
      assert.equal(decodeUtf8(b), expected, b.toString('hex'));
      assert.equal(decodeUtf8(new Uint8Array(b)), expected);
    }
    assert.ok(invalid > 10_000 && invalid < 49_000);
  });
});
