import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const MODULE = new URL("../../lib/dataset/data_dir.ts", import.meta.url).href;

/** defaultDataDir() in a fresh process with `env` set and `clear` unset. */
async function dataDirWith(env: Record<string, string>, clear: string[]) {
  const vars = { ...Deno.env.toObject(), ...env };
  for (const name of clear) delete vars[name];
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { defaultDataDir } from "${MODULE}"; console.log(defaultDataDir());`,
    ],
    env: vars,
    clearEnv: true,
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(stdout).trim();
}

Deno.test("defaultDataDir() is the repository's data/ folder unless CNN_DATA_DIR is set", async () => {
  assert.equal(
    await dataDirWith({}, ["CNN_DATA_DIR"]),
    fileURLToPath(new URL("../../data", import.meta.url)),
  );
  assert.equal(
    await dataDirWith({ CNN_DATA_DIR: "/tmp/elsewhere" }, []),
    "/tmp/elsewhere",
  );
});
