import type { RegionSpec, WorkloadSpec } from '../plan.ts';

/**
 * A dbench-like file-server load, as guest memory sees it.
 *
 * dbench (https://dbench.samba.org) replays a NetBench "loadfile" of file operations
 * (open, write at an offset, read, close, unlink, rename, flush, ...) recorded from
 * Windows clients of a file server, one replaying process per client, each in its own
 * directory; it runs for a fixed time (`-t`), after a warm-up, and reports throughput.
 * KVM autotest runs it in the guest with as many clients as the guest has CPUs and
 * `-t 60` (autotest's client/tests/dbench/dbench.py and the KVM tests'
 * autotest_control/dbench.control), on the guest's file system: it "barely touches
 * the disk", so its writes land in the guest's page cache.
 *
 * What that does to guest memory, which is all dirty logging sees:
 *
 * - each client writes its own files, in runs of consecutive pages (a write at an
 *   offset fills the page-cache pages of that range; files are written mostly front
 *   to back): a sequential stream over the client's share of the file set, wrapping
 *   as files are deleted and written again, with reads of the same pages between;
 * - every operation also updates file-system metadata shared by the clients (inodes,
 *   dentries, the journal, the allocator's bitmaps): a small set rewritten often.
 *
 * The workload alternates, per vCPU (one client per vCPU), a burst of sequential file
 * writes into that client's slice of `files` and a burst of metadata updates in
 * `metadata` (a hot set, shared). The shares and sizes are estimates of the loadfile's
 * mix (no published trace gives them per page), stated in the defaults below.
 */
export interface DbenchOptions {
  /** The page-cache region of the clients' files; each vCPU gets an equal slice. */
  files: RegionSpec;
  /** File-system metadata the clients share. */
  metadata: RegionSpec;
  /** Page accesses per second per client while it runs (reads included). */
  rate: number;
  /** Share of file accesses that are reads (default 0.5: NetBench reads back what it writes). */
  readFraction?: number;
  /** Length of a file burst (default 40 ms). */
  fileBurstNs?: number;
  /** Length of a metadata burst (default 10 ms: a fifth of the time). */
  metadataBurstNs?: number;
}

// ---- defaults (estimates; see DbenchOptions) ----
const DEFAULT_READ_FRACTION = 0.5;
const DEFAULT_FILE_BURST_NS = 40e6;
const DEFAULT_METADATA_BURST_NS = 10e6;
/** Metadata accesses that go to its hottest eighth (the journal head, the current inode blocks). */
const METADATA_HOT_SHARE = 0.9;
const METADATA_HOT_FRACTION = 1 / 8;

/** The dbench-like workload of every vCPU of a VM (one client per vCPU). */
export function dbenchWorkload(o: DbenchOptions): WorkloadSpec {
  if (!(o.rate > 0)) throw new Error(`a dbench-like workload needs a rate > 0, got ${o.rate}`);
  const hotBytes = Math.max(
    4096,
    Math.floor((o.metadata.size * METADATA_HOT_FRACTION) / 4096) * 4096,
  );
  return {
    kind: 'phases',
    repeat: true,
    phases: [
      {
        durationNs: o.fileBurstNs ?? DEFAULT_FILE_BURST_NS,
        workload: {
          kind: 'sequential',
          rate: o.rate,
          readFraction: o.readFraction ?? DEFAULT_READ_FRACTION,
          region: o.files,
          partition: true,
        },
      },
      {
        durationNs: o.metadataBurstNs ?? DEFAULT_METADATA_BURST_NS,
        workload: {
          kind: 'hotset',
          rate: o.rate,
          region: o.metadata,
          hotBytes,
          hotShare: METADATA_HOT_SHARE,
        },
      },
    ],
  };
}
