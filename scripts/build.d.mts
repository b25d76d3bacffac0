/** Types of scripts/build.mjs for the TypeScript that imports it (bench/run.ts). */
export function bundleLikeCli(entry: string, outfile: string): Promise<void>;
