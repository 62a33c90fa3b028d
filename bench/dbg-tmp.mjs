const t0 = performance.now();
const { completeFromBuild } = await import('../dist/cli/complete-store.js');
const t1 = performance.now();
const out = await completeFromBuild(['__complete','--','--store',process.argv[2],'runs','describe',''], process.env, process.cwd());
const t2 = performance.now();
process.stdout.write(out.slice(0,0));
console.log('import', (t1-t0).toFixed(1), 'complete', (t2-t1).toFixed(1), 'since start', t2.toFixed(1));
