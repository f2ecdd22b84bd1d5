// codeowners-npm.js DIR [LIMIT]: time the npm `codeowners` package on
// DIR/CODEOWNERS and every path of DIR/paths (the files bench-codeowners
// writes), as tests/bench/run.sh does for policy-check's matcher: read the
// file, build the matcher, ask the owners of every path.  Prints
// "<wall ms> <cpu ms> <paths with owners> <paths>".  NODE_PATH must name the
// node_modules directory the package was installed into.
'use strict';
const Codeowners = require('codeowners');
const fs = require('fs');

const dir = process.argv[2];
const limit = process.argv[3] ? Number(process.argv[3]) : Infinity;
const paths = fs.readFileSync(dir + '/paths', 'utf8').split('\n').filter(Boolean).slice(0, limit);

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const co = new Codeowners(dir);
let owned = 0;
for (const p of paths) {
  if (co.getOwner(p).length) owned++;
}
const wall = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
console.log(wall.toFixed(3), ((cpu.user + cpu.system) / 1e3).toFixed(3), owned, paths.length);
