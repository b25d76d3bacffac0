import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Pinned so that anything formatted with dates or locales is reproducible.
    env: { TZ: 'UTC' },
    testTimeout: 60_000,
    pool: 'forks',
  },
});
