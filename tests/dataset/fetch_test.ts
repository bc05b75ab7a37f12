import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fetchFile } from "../../lib/dataset/fetch.ts";

const BODY = new Uint8Array(300_000).map((_, i) => (i * 31) % 256);
const SHA = createHash("sha256").update(BODY).digest("hex");

/** Bytes /big.bin announces and /endless.bin streams (at most) in 1000-byte chunks. */
const BIG = 50_000;

/**
 * A local server on 127.0.0.1: /file.bin sends BODY; /broken.bin announces
 * BODY's length but stops half-way; /big.bin announces BIG bytes; /endless.bin
 * streams up to BIG bytes without announcing a length.
 */
function serve() {
  let requests = 0;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, (req) => {
    requests++;
    const path = new URL(req.url).pathname;
    if (path === "/file.bin") {
      return new Response(BODY, {
        headers: { "content-length": `${BODY.length}` },
      });
    }
    if (path === "/big.bin") {
      return new Response(new Uint8Array(BIG), {
        headers: { "content-length": `${BIG}` },
      });
    }
    if (path === "/endless.bin") {
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= BIG) return controller.close();
          sent += 1000;
          controller.enqueue(new Uint8Array(1000));
        },
      });
      return new Response(stream);
    }
    if (path === "/broken.bin") {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(BODY.subarray(0, BODY.length >> 1));
          controller.error(new Error("connection reset"));
        },
      });
      return new Response(stream, {
        headers: { "content-length": `${BODY.length}` },
      });
    }
    return new Response("nope", { status: 404, statusText: "Not Found" });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { server, base, requests: () => requests };
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "fetch_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("fetchFile() downloads once into the cache, with progress, and checks sha256", async () => {
  const { server, base, requests } = serve();
  await withDir(async (dir) => {
    const path = await fetchFile(`${base}/file.bin`, {
      cacheDir: dir,
      sha256: SHA,
      progress: "silent",
    });
    assert.equal(path, `${dir}/file.bin`);
    assert.deepEqual(await Deno.readFile(path), BODY);
    assert.equal(
      await fetchFile(`${base}/file.bin`, {
        cacheDir: dir,
        progress: "silent",
      }),
      path,
    );
    assert.equal(requests(), 1);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "file.bin",
    ]);
  });
  await server.shutdown();
});

Deno.test("fetchFile() leaves no file after an interrupted download or a bad checksum", async () => {
  const { server, base } = serve();
  await withDir(async (dir) => {
    await assert.rejects(
      fetchFile(`${base}/broken.bin`, { cacheDir: dir, progress: "silent" }),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(`^Cannot download ${base}/broken.bin: the connection `),
        );
        return true;
      },
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    const wrong = "0".repeat(64);
    await assert.rejects(
      fetchFile(`${base}/file.bin`, {
        cacheDir: dir,
        sha256: wrong,
        progress: "silent",
      }),
      new Error(
        `Cannot use the download of ${base}/file.bin: its SHA-256 does not match the expected ${wrong}; the file is corrupt or a different version, delete it and download again, received ${SHA}`,
      ),
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    await assert.rejects(
      fetchFile(`${base}/missing.bin`, { cacheDir: dir, progress: "silent" }),
      new Error(
        `Cannot download ${base}/missing.bin: the server answered 404 Not Found; check the URL, received ${base}/missing.bin`,
      ),
    );
  });
  await server.shutdown();
});

Deno.test("fetchFile() accepts plain paths and file:// URLs without copying", async () => {
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/a.bin`, BODY);
    assert.equal(
      await fetchFile(`${dir}/a.bin`, { sha256: SHA }),
      `${dir}/a.bin`,
    );
    assert.equal(await fetchFile(`file://${dir}/a.bin`), `${dir}/a.bin`);
    await assert.rejects(
      fetchFile(`${dir}/none.bin`),
      new Deno.errors.NotFound(
        `Cannot open ${dir}/none.bin: no such file; check the path or URL, received ${dir}/none.bin`,
      ),
    );
    await assert.rejects(
      fetchFile(`${dir}/a.bin`, { sha256: "xyz" }),
      new TypeError(
        "Cannot fetch file: sha256 must be 64 hex digits, received xyz",
      ),
    );
  });
});

Deno.test("fetchFile() refuses a download over maxDownloadBytes, announced or streamed, and leaves no file", async () => {
  const { server, base } = serve();
  await withDir(async (dir) => {
    const options = {
      cacheDir: dir,
      progress: "silent" as const,
      maxDownloadBytes: 4096,
    };
    await assert.rejects(
      fetchFile(`${base}/big.bin`, options),
      new RangeError(
        `Cannot download ${base}/big.bin: the server announces 48.8 KiB, over the 4 KiB download limit; nothing was saved; if you trust the source, raise maxDownloadBytes (deno task flowers --max-download 49K), received Content-Length ${BIG}`,
      ),
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    await assert.rejects(
      fetchFile(`${base}/endless.bin`, options),
      new RangeError(
        `Cannot download ${base}/endless.bin: the server sent more than the 4 KiB download limit; the partial file was removed; if you trust the source, raise maxDownloadBytes (deno task flowers --max-download SIZE), received more than 4096 bytes`,
      ),
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    // Within the limit, both download.
    const path = await fetchFile(`${base}/endless.bin`, {
      ...options,
      maxDownloadBytes: BIG,
    });
    assert.equal((await Deno.stat(path)).size, BIG);
    await assert.rejects(
      fetchFile(`${base}/big.bin`, { ...options, maxDownloadBytes: 0 }),
      new RangeError(
        "Cannot fetch file: maxDownloadBytes must be a positive number of bytes, received 0",
      ),
    );
  });
  await server.shutdown();
});
