// Flat ESLint config. Type-aware rules are left out on purpose: `tsc --noEmit`
// already runs in `npm test`, and the untyped rule set keeps lint under a few seconds.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of kernel/, each with what it must not import. The front ends (the
 * command line, the Jupyter kernel, the tslab module) sit on one library
 * (kernel/experiment, kernel/output, kernel/display, kernel/kernelspec.ts) and never
 * import each other, so what the library gains, all three front ends gain; inside
 * the library, experiments know nothing of how they are shown.
 */
const frontEnd = (name) =>
  `${name} is a front end: other front ends and the library under them do not import it. Move what is shared into the library (kernel/experiment, kernel/output, kernel/display, kernel/kernelspec.ts).`;
const IMPORTS = {
  cli: { regex: '(^|/)cli/', message: frontEnd('kernel/cli') },
  jupyter: { regex: '(^|/)jupyter/', message: frontEnd('kernel/jupyter') },
  tslab: { regex: '(^|/)tslab\\.ts$', message: frontEnd('kernel/tslab.ts') },
  display: {
    regex: '(^|/)display/',
    message:
      'kernel/display makes notebook outputs of experiments and outputs; they do not import it.',
  },
  output: {
    regex: '(^|/)output/',
    message:
      'kernel/output shows experiments; kernel/experiment runs and assembles them without knowing how they are shown.',
  },
};
const LAYERS = [
  { files: ['kernel/cli/**'], forbidden: ['jupyter', 'tslab'] },
  { files: ['kernel/jupyter/**'], forbidden: ['cli', 'tslab'] },
  { files: ['kernel/tslab.ts'], forbidden: ['cli', 'jupyter'] },
  { files: ['kernel/display/**'], forbidden: ['cli', 'jupyter', 'tslab'] },
  { files: ['kernel/output/**'], forbidden: ['cli', 'jupyter', 'tslab', 'display'] },
  {
    files: ['kernel/experiment/**', 'kernel/kernelspec.ts'],
    forbidden: ['cli', 'jupyter', 'tslab', 'display', 'output'],
  },
];

export default tseslint.config(
  // Generated and installed files are never linted.
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'out/', '**/*.generated.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // STYLE R7: `import type` for types, and no `any`.
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Engine code loops until a condition changes inside the body (walkers).
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The KVM model's internal entry points (engine/kvm/internal.ts) are for KVM's own
    // code: the VMM, the guest, the simulation and the front ends use the UAPI.
    files: ['**/*.ts'],
    ignores: ['engine/kvm/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/kvm/internal.ts', '**/kvm/internal'],
              message:
                "KVM's internal entry points are for engine/kvm/ only; use the Vm's UAPI methods (or add one).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  ...LAYERS.map(({ files, forbidden }) => ({
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: forbidden.map((name) => IMPORTS[name]) }],
    },
  })),
);
