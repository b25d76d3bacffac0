#!/bin/bash
# Submit the sweep as a job array, and the merge to run once all its tasks succeeded.
set -euo pipefail
cd "$(dirname "$0")/../../.."
array=$(sbatch --parsable examples/cluster/slurm/sweep.sbatch)
sbatch --dependency=afterok:"${array%%;*}" examples/cluster/slurm/merge.sbatch
