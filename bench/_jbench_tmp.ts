import jpeg from "jpeg-js";
const dir = "/tmp/fl/flower_photos/daisy";
const files = [...Deno.readDirSync(dir)].slice(0, 100).map((e) => dir + "/" + e.name);
let t = performance.now(); let px = 0;
for (const f of files) { const d = Deno.readFileSync(f); const img = jpeg.decode(d, { useTArray: true, formatAsRGBA: false }); px += img.width * img.height; }
console.log("jpeg-js 100 files ms", performance.now() - t, "avg px", px / 100);
