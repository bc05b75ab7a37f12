/**
 * Helpers of the CLI tests: generated class folders, and a CLI script run in
 * a fresh process with its output captured.
 *
 * @module
 */
import { encode } from "fast-png";

/**
 * Writes `perClass` 20×20 PNGs per class (red, green, blue): each class its
 * own colour plus seeded noise, so a small CNN can learn them quickly.
 */
export async function makeColourDataset(
  dir: string,
  perClass: number,
  seed: number,
): Promise<void> {
  const colours = {
    red: [200, 30, 30],
    green: [30, 200, 30],
    blue: [30, 30, 200],
  };
  let state = seed;
  const noise = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) % 50);
  for (const [name, rgb] of Object.entries(colours)) {
    await Deno.mkdir(`${dir}/${name}`, { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const data = new Uint8Array(20 * 20 * 3);
      for (let p = 0; p < data.length; p++) data[p] = rgb[p % 3] + noise();
      await Deno.writeFile(
        `${dir}/${name}/${i}.png`,
        encode({ width: 20, height: 20, data, channels: 3 }),
      );
    }
  }
}

/** Runs `deno run -A script ...args` and returns its exit code and output. */
export async function runScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}
