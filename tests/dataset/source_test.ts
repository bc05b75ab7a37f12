import assert from "node:assert/strict";
import { zipBytes } from "../_zip.ts";
import {
  isUrl,
  localPath,
  readSource,
  resolveDataFolder,
} from "../../lib/dataset/source.ts";
import { makeImageFolder } from "../_image_fixtures.ts";

Deno.test("isUrl() tells URLs from paths", () => {
  assert.equal(isUrl("http://x/a.zip"), true);
  assert.equal(isUrl("HTTPS://x/a.zip"), true);
  assert.equal(isUrl("file:///a.zip"), true);
  assert.equal(isUrl("/data/a.zip"), false);
  assert.equal(isUrl("C:\\data"), false);
  assert.equal(isUrl("my photos"), false);
});

Deno.test("localPath() maps file URLs and paths, not http(s)", () => {
  assert.equal(localPath("file:///tmp/a%20b.zip"), "/tmp/a b.zip");
  assert.equal(localPath("relative/dir"), "relative/dir");
  assert.equal(localPath(new URL("https://x/y")), undefined);
});

Deno.test("readSource() reads bytes, paths and file URLs alike", async () => {
  const path = await Deno.makeTempFile();
  await Deno.writeFile(path, new Uint8Array([7, 8, 9]));
  const bytes = new Uint8Array([1]);
  assert.equal(await readSource(bytes), bytes);
  assert.deepEqual(await readSource(path), new Uint8Array([7, 8, 9]));
  assert.deepEqual(
    await readSource(new URL(`file://${path}`)),
    new Uint8Array([7, 8, 9]),
  );
  await Deno.remove(path);
});

Deno.test("resolveDataFolder() names a missing path and what is accepted", async () => {
  await assert.rejects(
    resolveDataFolder("/nonexistent/photos"),
    new Deno.errors.NotFound(
      "Cannot load dataset: no such file or folder; give a folder of class subfolders, a .zip/.tgz/.tar archive or a URL, received /nonexistent/photos",
    ),
  );
});

Deno.test("resolveDataFolder() extracts an archive once and steps into its top folder", async () => {
  const dir = await Deno.makeTempDir();
  const archive = `${dir}/pets.zip`;
  await Deno.writeFile(
    archive,
    await zipBytes({
      "pets/cats/1.txt": "not an image",
      "pets/dogs/1.txt": "not an image",
    }),
  );
  const dataDir = `${dir}/data`;
  const folder = await resolveDataFolder(archive, {
    dataDir,
    progress: "silent",
  });
  assert.equal(folder, `${dataDir}/datasets/pets/pets`);
  const classes = [...Deno.readDirSync(folder)].map((e) => e.name).sort();
  assert.deepEqual(classes, ["cats", "dogs"]);
  // A second call with a target that exists does not need the archive.
  await Deno.remove(archive);
  assert.equal(
    await resolveDataFolder(archive, {
      dataDir,
      target: `${dataDir}/datasets/pets`,
    }),
    folder,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("resolveDataFolder() uses a folder where it is", async () => {
  const dir = await Deno.makeTempDir();
  await makeImageFolder(dir, ["a", "b"], [1, 1]);
  assert.equal(await resolveDataFolder(dir), dir);
  assert.equal(await resolveDataFolder(`file://${dir}`), dir);
  await Deno.remove(dir, { recursive: true });
});
