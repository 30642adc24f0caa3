// Render @opeepsfun/open-peeps React components to plain SVG without React (string-building shim).
// usage: node peeps.js BUILD_DIR OUT_DIR
const fs = require('fs'), path = require('path');
const BUILD = process.argv[2], OUT = process.argv[3];
const Fragment = Symbol('frag');
const kebab = s => s.replace(/[A-Z]/g, m => '-' + m.toLowerCase());
function h(type, props, ...children) { return { type, props: props || {}, children }; }
const React = { createElement: h, Fragment };
function str(n) {
  if (n == null || n === false) return '';
  if (Array.isArray(n)) return n.map(str).join('');
  if (typeof n === 'string' || typeof n === 'number') return String(n);
  if (typeof n.type === 'function') return str(n.type({ ...WHITE, ...n.props }));
  const kids = n.children.map(str).join('');
  if (n.type === Fragment) return kids;
  const attrs = Object.entries(n.props).filter(([k, v]) => k !== 'style' && v != null && typeof v !== 'object')
    .map(([k, v]) => ` ${k === 'xmlns' || k === 'viewBox' ? k : kebab(k)}="${v}"`).join('');
  return `<${n.type}${attrs}>${kids}</${n.type}>`;
}
const cache = {};
function load(rel, from) {
  const p = path.resolve(from, rel.endsWith('.js') ? rel : rel + '.js');
  if (cache[p]) return cache[p];
  let src = fs.readFileSync(p, 'utf8').replace(/^import .*$/mg, '')
    .replace(/export var (\w+) =/g, 'var $1 = exports.$1 =').replace(/export default (\w+);/g, 'exports.default = $1;')
    .replace(/export \{[^}]*\};?/g, '');
  const exports = {}; cache[p] = exports;
  new Function('React', 'require', 'exports', src)(React, r => load(r, path.dirname(p)), exports);
  return exports;
}
// paint every colour option white so only the outline colour (black) remains
const WHITE = {};
for (const k of ['beanieColor','beardColor','bikeFrameColor','bikeIronColor','blazerColor','capColor','clipColor','coatColor','computerColor','cupColor','frameColor','hairColor','hijabColor','jacketColor','knifeColor','pantsColor','paperColor','pocketColor','prothesisColor','shoesColor','skinColor','topColor','turbanColor','wheelchairColor']) WHITE[k] = '#FFFFFF';
WHITE.outlineColor = '#000000';
const { Effigy } = load('./Effigy', BUILD);
const ls = d => fs.readdirSync(path.join(BUILD, d)).filter(f => f.endsWith('.js') && f !== 'index.js').map(f => f.slice(0, -3));
const bodies = ls('body/effigy'), heads = ls('head'), faces = ls('face'), beards = ls('beard'), accs = ls('accessory');
fs.mkdirSync(OUT, { recursive: true });
// deterministic combos: one bust per effigy body, cycling heads/faces
bodies.forEach((b, i) => {
  const spec = { body: { type: b }, head: { type: heads[(i * 7) % heads.length] }, face: { type: faces[(i * 5) % faces.length] } };
  if (i % 4 === 1) spec.beard = { type: beards[i % beards.length] };
  if (i % 3 === 2) spec.accessory = { type: accs[i % accs.length] };
  const svg = str(h(Effigy, spec));
  fs.writeFileSync(path.join(OUT, `bust_${String(i).padStart(2, '0')}_${b}_${spec.head.type}_${spec.face.type}.svg`), svg);
});
// standing / sitting full bodies on their own
for (const d of ['standing', 'sitting']) for (const b of ls('body/' + d)) {
  const m = load('./body/' + d + '/' + b, BUILD); const cfg = m[b + 'Config'] || {};
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${cfg.viewBox}" width="${cfg.width}" height="${cfg.height}">` + str(h(m.default, {})) + '</svg>';
  fs.writeFileSync(path.join(OUT, `${d}_${b}.svg`), svg);
}
console.log('ok', bodies.length);
