import { main } from './main.ts';

// The kernel's entry point, bundled to dist/kernel.mjs by scripts/build.mjs.
await main(process.argv.slice(2));
