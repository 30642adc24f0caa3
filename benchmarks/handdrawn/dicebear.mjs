// Render DiceBear avatars of one style to plain SVG files, one per seed "STYLE-i".
// usage: node dicebear.mjs MODULES STYLE COUNT OUT_DIR
//   MODULES: a folder whose node_modules holds @dicebear/core and @dicebear/STYLE
//   (make_set.sh installs them). Notionists (Zoish) and Lorelei (Lisa Wischofsky) are
//   CC0 1.0 designs; the packages' code is MIT.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';

const [modules, style, count, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node dicebear.mjs MODULES STYLE COUNT OUT_DIR');
  process.exit(2);
}
const require = createRequire(path.resolve(modules, 'package.json'));
const load = async name => import(pathToFileURL(require.resolve(name)).href);
const { createAvatar } = await load('@dicebear/core');
const design = await load(`@dicebear/${style}`);
fs.mkdirSync(out, { recursive: true });
for (let i = 0; i < Number(count); i++) {
  const svg = createAvatar(design, { seed: `${style}-${i}` }).toString();
  fs.writeFileSync(path.join(out, `${style}-${String(i).padStart(4, '0')}.svg`), svg);
}
console.log(`${count} ${style} drawings -> ${out}`);
