import base from '/work/wt-suitespeed3/vitest.config.ts';
export default { ...base, test: { ...base.test, pool: 'forks', execArgv: ['--cpu-prof', '--cpu-prof-dir=/tmp/suitespeed3-prof'] } };
