import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTokenInstance } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import type { DefinitionCstChildren, ProgramCstNode } from '../../dsl/cst.generated.d.ts';
import { toAst } from '../../dsl/to-ast.ts';
import { Identifier, LCurly, RCurly, Tracking } from '../../dsl/tokens.ts';
import { CST_TYPES_PATH, generateCstTypes } from '../../scripts/cst-types.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('CST types', () => {
  it('match what npm run cst:types generates from the grammar', async () => {
    const committed = readFileSync(join(ROOT, CST_TYPES_PATH), 'utf8');
    expect(
      committed === (await generateCstTypes()),
      `${CST_TYPES_PATH} is out of date: run npm run cst:types`,
    ).toBe(true);
  }, 30_000);
});

/** `tracking t {}` as a CST, with the kind keyword left out when `kind` is false. */
function definitionCst(kind: boolean): ProgramCstNode {
  const children: DefinitionCstChildren = {
    name: [createTokenInstance(Identifier, 't', 9, 9, 1, 1, 10, 10)],
    block: [
      {
        name: 'block',
        children: {
          LCurly: [createTokenInstance(LCurly, '{', 11, 11, 1, 1, 12, 12)],
          RCurly: [createTokenInstance(RCurly, '}', 12, 12, 1, 1, 13, 13)],
        },
      },
    ],
  };
  if (kind) children.defKind = [createTokenInstance(Tracking, 'tracking', 0, 7, 1, 1, 1, 8)];
  const definition = { name: 'definition' as const, children };
  const statement = { name: 'statement' as const, children: { definition: [definition] } };
  return { name: 'program', children: { statement: [statement] } };
}

describe('toAst', () => {
  it('drops a definition whose kind keyword recovery left out, rather than guessing one', () => {
    expect(toAst(definitionCst(false)).statements).toEqual([]);
  });

  it('keeps the same definition with its kind keyword', () => {
    expect(toAst(definitionCst(true)).statements).toMatchObject([
      { kind: 'definition', defKind: 'tracking', name: { text: 't' } },
    ]);
  });
});
