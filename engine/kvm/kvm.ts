import type { Arch } from './types.ts';
import type { Costs } from './costs.ts';
import type { KvmParams } from './params.ts';
import type { CreateVmOptions } from './vm.ts';
import { resolveCosts } from './costs.ts';
import { resolveParams } from './params.ts';
import { Vm } from './vm.ts';
import {
  ARM64_SUPPORTED_BLOCK_SIZES,
  Cap,
  KVM_DIRTY_GFN_SIZE,
  KVM_DIRTY_LOG_MANUAL_CAPS,
  KVM_DIRTY_RING_MAX_ENTRIES,
  KVM_INTERNAL_MEM_SLOTS,
  KVM_MEM_SLOTS_NUM,
} from './uapi.ts';

/** Options of `new Kvm(...)`: the host architecture, module parameters, costs. */
export interface KvmOptions {
  arch?: Arch;
  params?: Partial<KvmParams>;
  costs?: Partial<Costs>;
}

/**
 * /dev/kvm: the host side of the model. Module parameters and costs are fixed per
 * instance, as a loaded kvm module's are.
 */
export class Kvm {
  readonly arch: Arch;
  readonly params: KvmParams;
  readonly costs: Costs;

  constructor(options: KvmOptions = {}) {
    this.arch = options.arch ?? 'x86_64';
    if (this.arch !== 'x86_64' && this.arch !== 'arm64') {
      throw new Error(`unknown arch: ${String(this.arch)}; use "x86_64" or "arm64"`);
    }
    this.params = resolveParams(this.arch, options.params);
    this.costs = resolveCosts(options.costs);
  }

  /** KVM_CREATE_VM. */
  createVm(options: CreateVmOptions = {}): Vm {
    return new Vm(this, options);
  }

  /** KVM_CHECK_EXTENSION on /dev/kvm; 0 means unsupported. */
  checkExtension(cap: Cap): number {
    const maxRingBytes = KVM_DIRTY_RING_MAX_ENTRIES * KVM_DIRTY_GFN_SIZE;
    switch (cap) {
      case Cap.ManualDirtyLogProtect2:
        return KVM_DIRTY_LOG_MANUAL_CAPS;
      case Cap.DirtyLogRing:
        // x86 only: TSO lets it skip acquire/release; arm64 needs the ACQ_REL flavour.
        return this.arch === 'x86_64' ? maxRingBytes : 0;
      case Cap.DirtyLogRingAcqRel:
        return maxRingBytes;
      case Cap.DirtyLogRingWithBitmap:
        return this.arch === 'arm64' ? 1 : 0;
      case Cap.ArmEagerSplitChunkSize:
        // arm.c kvm_vm_ioctl_check_extension: KVM_ARM_EAGER_SPLIT_CHUNK_SIZE_DEFAULT
        // (0) on /dev/kvm; the VM fd answers with the VM's chunk size (Vm.checkExtension).
        return 0;
      case Cap.ArmSupportedBlockSizes:
        return this.arch === 'arm64' ? ARM64_SUPPORTED_BLOCK_SIZES.reduce((a, b) => a | b, 0) : 0;
      case Cap.NrMemslots:
        return KVM_MEM_SLOTS_NUM - KVM_INTERNAL_MEM_SLOTS[this.arch];
      case Cap.MultiAddressSpace:
        return this.arch === 'x86_64' ? 2 : 1;
      default:
        return 0;
    }
  }
}
