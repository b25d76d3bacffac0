import type { Protocol } from '../types.ts';
import { identificationProtocol } from './identification.ts';
import { dirtyLogProtocol, mmuWritableProtocol } from './mmu-writable.ts';
import { twoBitProtocol } from './two-bit.ts';

export { identificationProtocol } from './identification.ts';
export type { IdentificationOptions } from './identification.ts';
export { twoBitProtocol } from './two-bit.ts';
export type { TwoBitOptions } from './two-bit.ts';
export { dirtyLogProtocol, mmuWritableProtocol } from './mmu-writable.ts';
export type { MmuWritableOptions } from './mmu-writable.ts';
export { SPTE_BITS, SPTE_FLAGS } from './spte-bits.ts';

/** A protocol shipped with mmulab: seed 002's debate, in the order it happened. */
export interface BuiltinProtocol {
  name: string;
  /** One line: what it is and what the explorer shows. */
  summary: string;
  build: () => Protocol;
}

export const BUILTIN_PROTOCOLS: readonly BuiltinProtocol[] = [
  {
    name: 'identification-unique',
    summary: 'first proposal: vCPU id in the SPTE, smp_mb on both sides, rmap flag; safe',
    build: () => identificationProtocol({ uniqueIds: true }),
  },
  {
    name: 'identification-shared',
    summary: 'the same with one identification for all vCPUs: the OOPS interleaving',
    build: () => identificationProtocol({ uniqueIds: false }),
  },
  {
    name: 'two-bit',
    summary: "Avi Kivity's page-fault + write-protect bits; broken by the plain store of PF",
    build: () => twoBitProtocol(),
  },
  {
    name: 'two-bit-cmpxchg',
    summary: 'the two bits with PF set by a cmpxchg, as lockless SPTE updates became: safe',
    build: () => twoBitProtocol({ setPf: 'cmpxchg' }),
  },
  {
    name: 'mmu-writable',
    summary: 'merged: MMU-writable bit + cmpxchg; 3 vCPUs, shadow write-protect, GET/CLEAR; safe',
    build: () => mmuWritableProtocol(),
  },
  {
    name: 'mmu-writable-plain-store',
    summary: 'merged protocol with the cmpxchg replaced by a plain store: write-protect lost',
    build: () => mmuWritableProtocol({ fix: 'store' }),
  },
  {
    name: 'dirty-log',
    summary: 'fast path vs GET/CLEAR: every write reported, but not always by the next GET',
    build: () => dirtyLogProtocol(),
  },
];

/** The built-in protocol `name`. */
export function builtinProtocol(name: string): Protocol {
  const b = BUILTIN_PROTOCOLS.find((p) => p.name === name);
  if (!b)
    throw new Error(
      `unknown protocol: ${name} (built-ins: ${BUILTIN_PROTOCOLS.map((p) => p.name).join(', ')})`,
    );
  return b.build();
}
