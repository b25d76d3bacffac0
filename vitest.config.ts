import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Pinned so that anything formatted with dates or locales is reproducible.
    // The kernel's result cache is off in tests: every test runs its plans (the cache's
    // own tests turn it on in a temporary directory), and no test writes to ~/.cache.
    env: { TZ: 'UTC', MMULAB_CACHE: 'off' },
    testTimeout: 60_000,
    pool: 'forks',
  },
});
