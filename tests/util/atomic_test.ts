import assert from "node:assert/strict";
import {
  isDiskFull,
  PARTIAL_SUFFIX,
  temporaryPath,
  writeAtomically,
} from "../../lib/util/atomic.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "atomic_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function listing(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("temporaryPath() names a fresh .partial sibling each time", () => {
  const a = temporaryPath("/data/x.bin");
  const b = temporaryPath("/data/x.bin");
  assert.match(
    a,
    new RegExp(`^/data/x\\.bin\\.${Deno.pid}-[0-9a-f]{8}\\.partial$`),
  );
  assert.ok(a.endsWith(PARTIAL_SUFFIX));
  assert.notEqual(a, b);
});

Deno.test("writeAtomically() writes files and folders under a temporary name, creating the parent", async () => {
  await withDir(async (dir) => {
    let seen = "";
    const result = await writeAtomically(`${dir}/sub/a.txt`, async (temp) => {
      seen = temp;
      await Deno.writeTextFile(temp, "hi");
      return 42;
    });
    assert.equal(result, 42);
    assert.match(seen, /\/sub\/a\.txt\..+\.partial$/);
    assert.equal(await Deno.readTextFile(`${dir}/sub/a.txt`), "hi");
    assert.deepEqual(listing(`${dir}/sub`), ["a.txt"]);

    const folder = async (text: string) =>
      await writeAtomically(`${dir}/f`, async (temp) => {
        await Deno.mkdir(temp);
        await Deno.writeTextFile(`${temp}/x.txt`, text);
      }, { replaceFolder: true });
    await folder("one");
    await folder("two");
    assert.equal(await Deno.readTextFile(`${dir}/f/x.txt`), "two");
    assert.deepEqual(listing(dir), ["f", "sub"]);
  });
});

Deno.test("writeAtomically() removes the partial output when writing fails and re-throws the error", async () => {
  await withDir(async (dir) => {
    const failure = new TypeError("boom");
    await assert.rejects(
      writeAtomically(`${dir}/out`, async (temp) => {
        await Deno.mkdir(temp);
        await Deno.writeTextFile(`${temp}/half.txt`, "half");
        throw failure;
      }),
      (error) => error === failure,
    );
    assert.deepEqual(listing(dir), []);
  });
});

Deno.test({
  name:
    "writeAtomically() turns a full disk into an error naming the folder and CNN_DATA_DIR, and leaves nothing",
  ignore: Deno.build.os !== "linux", // /dev/full answers every write with ENOSPC
  async fn() {
    await withDir(async (dir) => {
      const path = `${dir}/cache/pixels.bin`;
      await assert.rejects(
        writeAtomically(path, async (temp) => {
          using file = await Deno.open(temp, { write: true, create: true });
          await file.write(new Uint8Array(1000));
          // The next write lands on a full disk.
          using full = await Deno.open("/dev/full", { write: true });
          await full.write(new Uint8Array(1000));
        }),
        (error: Error) => {
          assert.equal(error.constructor, Error);
          assert.equal(
            error.message,
            `Cannot write ${path}: the disk holding ${dir}/cache is full, the partial output was removed; free some space, or set CNN_DATA_DIR to a folder on a larger disk (it moves the downloads, extracted datasets and caches), received No space left on device (os error 28)`,
          );
          assert.equal(isDiskFull(error.cause), true);
          return true;
        },
      );
      assert.deepEqual(listing(`${dir}/cache`), []);
    });
  },
});

Deno.test("isDiskFull() recognises ENOSPC and EDQUOT only", () => {
  const withCode = (code: string) => Object.assign(new Error(code), { code });
  assert.equal(isDiskFull(withCode("ENOSPC")), true);
  assert.equal(isDiskFull(withCode("EDQUOT")), true);
  assert.equal(isDiskFull(withCode("ENOENT")), false);
  assert.equal(isDiskFull(new Deno.errors.NotFound("x")), false);
  assert.equal(isDiskFull(undefined), false);
  assert.equal(isDiskFull("ENOSPC"), false);
});
