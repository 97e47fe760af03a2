import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Quiet by default; CTXGATE_LOG_LEVEL is not read by the harness (it passes 'silent').
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
