import type { Provenance } from '../../engine/results.ts';

/**
 * A Jupyter MIME bundle, the `data` and `metadata` of a display_data or
 * execute_result message (Jupyter messaging 5.3, "Display Data"). `data` is keyed by
 * MIME type; every bundle mmulab makes has `text/plain` so consoles and tests see it.
 */
export interface MimeBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/**
 * Where one result comes from, as output metadata carries it: enough to re-make the
 * result (the cost table is left out: the plan hash already covers its overrides).
 */
export interface ProvenanceRecord {
  /** The plan's label (`web/ring/qemu/seed=1`) when the record belongs to an experiment. */
  label?: string;
  mmulab_version: string;
  plan_hash: string;
  seed: number;
}

/** The metadata record of one run's provenance (a `Provenance` or a record to normalise). */
export function provenanceRecord(
  provenance: Pick<Provenance, 'mmulab_version' | 'plan_hash' | 'seed'>,
  label?: string,
): ProvenanceRecord {
  const { mmulab_version, plan_hash, seed } = provenance;
  return label === undefined
    ? { mmulab_version, plan_hash, seed }
    : { label, mmulab_version, plan_hash, seed };
}

/** Metadata keys are namespaced (`metadata.mmulab`) so they cannot clash with a frontend's. */
export const METADATA_KEY = 'mmulab';

/**
 * Bundle metadata holding `fields` under `metadata.mmulab`; a provenance list is added
 * only when it is not empty, so bundles without runs carry no empty arrays.
 */
export function mmulabMetadata(
  fields: Record<string, unknown>,
  provenance: readonly ProvenanceRecord[] = [],
): Record<string, unknown> {
  const own = provenance.length ? { ...fields, provenance: [...provenance] } : { ...fields };
  return Object.keys(own).length ? { [METADATA_KEY]: own } : {};
}
