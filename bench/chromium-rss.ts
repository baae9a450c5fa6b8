// Resident memory of a Chromium started on its own profile, read from /proc
// (Linux): every process of that browser carries its --user-data-dir. A page's
// dedicated workers (our search worker, ONNX Runtime's thread workers) are
// threads of the page's renderer process, so its RSS is the page's memory,
// WebAssembly memory included. DevTools' heap figures count only JS heaps,
// and measureUserAgentSpecificMemory only answers on an isolated page, at one
// moment.
//
// One read of the peak (VmHWM) at the end is not enough: Chromium resets its
// processes' peak RSS now and then for its own memory metrics (it writes "5"
// to /proc/<pid>/clear_refs; here a renderer's VmHWM fell from 2.97 to 1.68 GB
// between two reads). So the watch reads VmHWM and VmRSS every 250 ms and
// keeps the largest value seen.
import { readdir, readFile } from 'node:fs/promises';

/** Peaks in MB (10^6 bytes) seen so far, or null where /proc showed no such process. */
export interface ChromiumMemory {
  /** The largest renderer process of the profile: the bench page's, with its workers. */
  rendererPeakMB: number | null;
  /** The GPU process (WebGPU buffers live there; on SwiftShader, in CPU memory). */
  gpuPeakMB: number | null;
}

/** Samples the memory of the browser started with `--user-data-dir=<profileDir>` until stopped. */
export class ChromiumMemoryWatch {
  private readonly peaks = { renderer: -1, gpu: -1 };
  private readonly profile: RegExp;
  private readonly timer: NodeJS.Timeout;
  private last: Promise<void> = Promise.resolve();
  /** pid → which of the profile's processes it is (null: not this browser's). */
  private readonly kinds = new Map<string, 'renderer' | 'gpu' | null>();

  constructor(profileDir: string, intervalMs = 250) {
    // Chromium's child processes rewrite their argv into one space-separated title: match either separator.
    const escaped = profileDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.profile = new RegExp(`(?:^|[\\0 ])--user-data-dir=${escaped}(?=[\\0 ]|$)`);
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
  }

  /** The peaks so far, a fresh sample included. */
  async read(): Promise<ChromiumMemory> {
    await this.sample();
    const mb = (kb: number) => (kb < 0 ? null : (kb * 1024) / 1e6);
    return { rendererPeakMB: mb(this.peaks.renderer), gpuPeakMB: mb(this.peaks.gpu) };
  }

  /** Stops sampling; returns the peaks, a last sample included. */
  async stop(): Promise<ChromiumMemory> {
    clearInterval(this.timer);
    return this.read();
  }

  /** One pass over /proc (a process's command line is read once); passes never overlap. */
  private sample(): Promise<void> {
    this.last = this.last.then(async () => {
      const pids = new Set((await readdir('/proc').catch(() => [])).filter((p) => /^\d+$/.test(p)));
      for (const pid of [...this.kinds.keys()]) if (!pids.has(pid)) this.kinds.delete(pid);
      for (const pid of pids) {
        let kind = this.kinds.get(pid);
        if (kind === undefined) {
          // A process may exit between listing and reading: it reads as not ours.
          const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
          const type = /(?:^|[\0 ])--type=([^\0 ]+)/.exec(cmdline)?.[1];
          kind = !this.profile.test(cmdline) ? null : type === 'renderer' ? 'renderer' : type === 'gpu-process' ? 'gpu' : undefined;
          // Ours but not (yet) a renderer or GPU process — a zygote fork still bears its parent's title: asked again next time.
          if (kind !== undefined) this.kinds.set(pid, kind);
        }
        if (kind == null) continue;
        const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
        const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? -1);
        this.peaks[kind] = Math.max(this.peaks[kind], kb('VmHWM'), kb('VmRSS'));
      }
    });
    return this.last;
  }
}
