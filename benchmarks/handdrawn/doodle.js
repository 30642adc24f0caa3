// Render doodle-icons (react SVGR bundle) to plain SVG files with a tiny jsx shim. usage: node doodle.js index.es.js OUTDIR
const fs = require('fs'), path = require('path');
const kebab = s => s.replace(/[A-Z]/g, m => '-' + m.toLowerCase());
const jsx = (type, props) => ({ type, props: props || {} });
function str(n) {
  if (n == null || n === false) return '';
  if (Array.isArray(n)) return n.map(str).join('');
  if (typeof n !== 'object') return String(n);
  if (typeof n.type === 'function') return str(n.type(n.props));
  const { children, ...rest } = n.props;
  const attrs = Object.entries(rest).filter(([k, v]) => v != null && typeof v !== 'object')
    .map(([k, v]) => ` ${k === 'viewBox' || k === 'xmlns' ? k : kebab(k)}="${v}"`).join('');
  return `<${n.type}${attrs}>${str(children)}</${n.type}>`;
}
let src = fs.readFileSync(process.argv[2], 'utf8').replace(/^import .*$/mg, '').replace(/^export .*$/mg, '');
const names = [...src.matchAll(/^var (Svg\w+) = function/mg)].map(m => m[1]);
const fns = new Function('jsx', 'jsxs', src + '\nreturn {' + names.join(',') + '};')(jsx, jsx);
fs.mkdirSync(process.argv[3], { recursive: true });
for (const n of names) fs.writeFileSync(path.join(process.argv[3], n.slice(3) + '.svg'), str(jsx(fns[n], {})));
console.log(names.length);
