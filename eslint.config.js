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
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
