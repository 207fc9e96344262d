// Runs every example of the package README and compares what it prints with the README.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeExamples, runReadmeExample, tempDir } from '@callbridge/testkit';

const examples = readmeExamples(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
const dir = tempDir('codec-g729-readme');
afterAll(() => dir.remove());

describe('packages/codec-g729/README.md', () => {
  it('has runnable examples', () => expect(examples.length).toBeGreaterThanOrEqual(1));
  for (const example of examples) {
    it(`runs the example at line ${example.line}`, async () => {
      const printed = await runReadmeExample(example, dir);
      expect(printed).toBe(example.expectedOutput ?? printed);
    });
  }
});
