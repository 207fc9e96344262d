import { afterAll, describe, expect, it } from 'vitest';
import { readmeExamples, runReadmeExample, tempDir } from '@callbridge/testkit';

const dir = tempDir('testkit-readme');
afterAll(() => dir.remove());

const fence = '```';
const markdown = [
  '# pkg', // 1
  `${fence}ts`, // 2: not marked, not an example
  'throw new Error("not run");',
  fence,
  '<!-- runnable -->', // 5
  `${fence}ts`, // 6
  "console.log('a\\r\\nb', 1 + 1);",
  fence,
  '',
  `${fence}text`, // 10
  'a',
  'b 2',
  '',
  fence,
  '<!-- runnable -->', // 15
  `${fence}ts`, // 16
  'await Promise.resolve();',
  fence,
  'prose, then a text block that is not its output',
  `${fence}text`,
  'x',
  fence,
].join('\n');

describe('readmeExamples', () => {
  it('takes marked ts blocks and the text block right after as expected output', () => {
    expect(readmeExamples(markdown)).toEqual([
      { line: 6, code: "console.log('a\\r\\nb', 1 + 1);", expectedOutput: 'a\nb 2' },
      { line: 16, code: 'await Promise.resolve();', expectedOutput: undefined },
    ]);
  });

  it('refuses a marker that is not followed by a ts block, and an unclosed fence', () => {
    expect(() => readmeExamples('<!-- runnable -->\n```sh\nls\n```')).toThrow(/line 1/);
    expect(() => readmeExamples('<!-- runnable -->\n```ts\nlet a = 1;')).toThrow(/never closed/);
  });

  it('runs an example and returns what it printed, CRLF as LF', async () => {
    const [example] = readmeExamples(markdown);
    expect(await runReadmeExample(example!, dir)).toBe(example!.expectedOutput);
  });

  it('rejects when the example throws', async () => {
    const example = {
      line: 1,
      code: 'throw new Error("broken example");',
      expectedOutput: undefined,
    };
    await expect(runReadmeExample(example, dir)).rejects.toThrow('broken example');
  });
});
