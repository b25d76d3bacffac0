// Flat ESLint config. Type-aware rules are left out on purpose: `tsc --noEmit`
// already runs in `npm test`, and the untyped rule set keeps lint under a few seconds.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
);
