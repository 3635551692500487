import { runReadmeSnippet } from '@efficient-attention/test-utils';
import { expect, it } from 'vitest';

it('README usage snippet runs', async () => {
  await expect(runReadmeSnippet(new URL('..', import.meta.url).pathname)).resolves.toBeDefined();
});
