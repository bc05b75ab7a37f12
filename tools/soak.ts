/**
 * Soak test: runs the fast-backend tests and a quick training run again and
 * again, and fails on any non-zero exit or any sign of a crash in their output.
 *
 * ```sh
 * deno task soak                 # 30 rounds: fast-backend tests + flowers --quick
 * deno task soak 50              # 50 rounds
 * deno task soak 10 --only tests # 10 runs of the fast-backend tests (CI)
 * ```
 *
 * Why: a process can pass every test and still abort as it exits. Issue 17
 * found `deno test` now and then ending, after "ok | 23 passed | 0 failed",
 * with glibc's `corrupted double-linked list` (exit 134). The cause was not
 * our kernel threads but WebGPU: `useFastBackend()` asked for an adapter to
 * report a GPU, and that loads the system's GPU driver stack (libglvnd's
 * libEGL, Mesa's llvmpipe, LLVM) and makes EGL calls on the calling thread.
 * Deno exits without closing it, so libEGL's destructor runs in `exit()` and
 * frees every thread's EGL state, while a thread that had used EGL (the test
 * file's thread) exits and frees its own: the core dump shows both at once,
 * and libglvnd walks that list without its lock (`__eglCurrentTeardown` in
 * src/EGL/libeglcurrent.c, https://github.com/NVIDIA/libglvnd; exit crashes
 * of wgpu's EGL backend: https://github.com/gfx-rs/wgpu/issues/7665). A test
 * file holding only `await navigator.gpu.requestAdapter()` aborts the same
 * way under `deno test`. The probe is gone (nothing here runs on a GPU) and
 * tests/fast/backend_test.ts checks that no GPU driver is loaded; this soak
 * checks that no abort comes back, from there or anywhere else. Such a crash
 * shows in one run of many, so one green run proves nothing: run the soak
 * after changes to the kernel threads, to how the backend starts or to
 * anything that runs at exit.
 *
 * `deno task flowers --quick` trains on flower_photos: set
 * `FLOWER_PHOTOS_URL` to a local copy (`file:///…/flower_photos.tgz`) to
 * keep it off the network.
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** Rounds when no count is given. */
const DEFAULT_ROUNDS = 30;
/** Lines of a failed run's output that are printed. */
const TAIL_LINES = 20;

/**
 * What glibc, V8 and Deno print when a process corrupts its heap or crashes,
 * one pattern per line of output. Test names and training logs never match.
 */
const CRASH_PATTERNS: RegExp[] = [
  /^corrupted (double-linked list|size vs\. prev_size|top size).*/m,
  /^double free or corruption.*/m,
  /^(free|malloc|realloc|munmap_chunk|malloc_consolidate)\(\): .*/m,
  /^Fatal glibc error: .*/m,
  /^\*\*\* stack smashing detected .*/m,
  /^# Fatal error in .*/m, // V8
  /Deno has panicked/,
  /Segmentation fault|Aborted \(core dumped\)/,
];

/** One kind of run the soak repeats. */
export interface SoakJob {
  /** Short name shown in the progress lines. */
  name: string;
  /** Arguments of `deno` (the executable running this script). */
  args: string[];
}

/** The jobs, by the name `--only` takes. */
export const SOAK_JOBS: Record<string, SoakJob> = {
  tests: { name: "tests", args: ["test", "-A", "tests/fast/"] },
  flowers: { name: "flowers", args: ["task", "flowers", "--quick"] },
};

/** How one run ended. */
export interface RunResult {
  /** The process' exit code. */
  code: number;
  /** The signal that ended it, or null. */
  signal: string | null;
  /** Its stdout and stderr, one after the other. */
  output: string;
}

/**
 * Says why a run counts as failed, or null when it passed: a crash message
 * in its output (even with exit code 0), a signal, or a non-zero exit.
 *
 * @param run How the process ended and what it printed.
 * @returns The reason, one line, or null.
 *
 * @example A clean exit passes, an abort after passing tests does not
 * ```ts
 * import { failureOf } from "./soak.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(failureOf({ code: 0, signal: null, output: "ok | 3 passed" }), null);
 * assert.equal(
 *   failureOf({
 *     code: 134,
 *     signal: null,
 *     output: "ok | 3 passed | 0 failed\ncorrupted double-linked list\n",
 *   }),
 *   "crash: corrupted double-linked list",
 * );
 * ```
 */
export function failureOf(run: RunResult): string | null {
  // Deno's own colors would hide a message from the line-anchored patterns.
  // deno-lint-ignore no-control-regex
  const plain = run.output.replace(/\x1b\[[0-9;]*m/g, "");
  for (const pattern of CRASH_PATTERNS) {
    const match = plain.match(pattern);
    if (match) return `crash: ${match[0].trim()}`;
  }
  if (run.signal != null) return `killed by ${run.signal}`;
  if (run.code !== 0) return `exit code ${run.code}`;
  return null;
}

/** Runs `deno <args>` in the project folder and collects its output. */
async function runJob(job: SoakJob, outDir: string): Promise<RunResult> {
  const args = job.name === "flowers"
    ? [...job.args, "--out", outDir]
    : job.args;
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: result.code,
    signal: result.signal,
    output: text.decode(result.stdout) + text.decode(result.stderr),
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function usage(message: string): never {
  console.error(
    `${message}\nUsage: deno task soak [ROUNDS] [--only ${
      Object.keys(SOAK_JOBS).join("|")
    }]`,
  );
  Deno.exit(2);
}

/** Parses `[ROUNDS] [--only JOB]`. */
function parseArgs(args: string[]): { rounds: number; jobs: SoakJob[] } {
  let rounds = DEFAULT_ROUNDS;
  let jobs = Object.values(SOAK_JOBS);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--only") {
      const job = SOAK_JOBS[args[++i]];
      if (job == null) {
        usage(
          `Cannot run the soak: --only takes a job name, received ${args[i]}`,
        );
      }
      jobs = [job];
    } else if (/^[1-9][0-9]*$/.test(arg)) {
      rounds = Number(arg);
    } else {
      usage(`Cannot run the soak: unknown argument, received ${arg}`);
    }
  }
  return { rounds, jobs };
}

async function main(): Promise<void> {
  const { rounds, jobs } = parseArgs(Deno.args);
  const names = jobs.map((j) => j.name).join(" + ");
  console.log(`Soak: ${rounds} rounds of ${names}`);
  if (
    jobs.some((j) => j.name === "flowers") &&
    Deno.env.get("FLOWER_PHOTOS_URL") == null
  ) {
    console.log(
      "FLOWER_PHOTOS_URL is not set: flowers uses the cached download, or downloads it",
    );
  }
  const outDir = await Deno.makeTempDir({ prefix: "soak_" });
  const start = Date.now();
  let passed = 0;
  const failures: string[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const job of jobs) {
        const t0 = Date.now();
        await Deno.remove(outDir, { recursive: true }).catch(() => {});
        const run = await runJob(job, outDir);
        const why = failureOf(run);
        const where = `round ${round}/${rounds} ${job.name}`;
        if (why == null) {
          passed++;
          console.log(`${where}: ok (${seconds(Date.now() - t0)})`);
        } else {
          failures.push(`${where}: ${why}`);
          console.log(`${where}: FAILED, ${why} (${seconds(Date.now() - t0)})`);
          const tail = run.output.trimEnd().split("\n").slice(-TAIL_LINES);
          console.log(tail.map((line) => `  | ${line}`).join("\n"));
        }
      }
    }
  } finally {
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
  }
  const crashes = failures.filter((f) => f.includes(": crash: ")).length;
  console.log(
    `\nSoak: ${passed + failures.length} runs in ${
      seconds(Date.now() - start)
    }: ${passed} passed, ${failures.length} failed (${crashes} crashed)`,
  );
  for (const failure of failures) console.log(`  ${failure}`);
  if (failures.length > 0) Deno.exit(1);
}

if (import.meta.main) await main();
