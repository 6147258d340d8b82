import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'dist-cli', 'dist-electron', 'release', 'tests/output', 'test-results', 'playwright-report'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests and benchmarks poke at untyped JSON and workbook cells; `any` is allowed there only.
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // The renderer never imports Node code or the core (DESIGN.md: imports point one way).
      'no-restricted-imports': ['error', { patterns: [
        { group: ['node:*', 'fs', 'path', 'better-sqlite3', 'exceljs', 'fastify'], message: 'The renderer talks only to window.api and shared/.' },
        { regex: '^(\\.\\./)+(core|server|electron|cli)(/|$)', message: 'The renderer talks only to window.api and shared/.' },
      ] }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['node:*', 'fs', 'path', 'better-sqlite3', 'exceljs', 'react'], message: 'shared/ is pure TypeScript: no Node, no DOM.' },
        { regex: '^(\\.\\./)+(core|server|electron|cli|renderer)(/|$)', message: 'shared/ is pure TypeScript: no Node, no DOM.' },
      ] }],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+(server|electron|cli|renderer)(/|$)', message: 'core/ depends only on shared/.' }] }],
    },
  },
);
