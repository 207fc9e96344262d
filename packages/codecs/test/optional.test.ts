import { describe, expect, it } from 'vitest';
import { CodecRegistry, loadOptionalCodecs } from '@callbridge/codecs';

describe('optional codec packages', () => {
  it('registers G.729 when @callbridge/codec-g729 is installed (it is, in this workspace)', async () => {
    const registry = new CodecRegistry();
    expect(await loadOptionalCodecs(registry)).toEqual(['@callbridge/codec-g729']);
    const codec = await registry.create({ name: 'G729', clockRate: 8000 });
    expect(codec.decode(codec.encode(new Int16Array(160))).length).toBe(160);
    codec.close();
  });
});
