// The TypeScript declarations of the installed package: tests/usage.ts type-checks with the
// pinned tsc (strict), and tests/usage-wrong.ts fails on each of its wrong lines.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const tsc = process.env.LICET_TSC
const work = join(dirname(fileURLToPath(import.meta.url)), '..')
const config = JSON.parse(readFileSync(join(work, 'tsconfig.json'), 'utf8'))

function typecheck(file) {
  const project = join(work, `tsconfig.${file.replace(/\W/g, '-')}.json`)
  writeFileSync(project, JSON.stringify({ ...config, files: [file] }))
  return spawnSync(tsc, ['-p', project], { encoding: 'utf8', cwd: work })
}

test('tests/usage.ts type-checks against index.d.ts', { skip: !tsc && 'LICET_TSC is not set' }, () => {
  const result = typecheck('tests/usage.ts')
  assert.equal(result.status, 0, result.stdout + result.stderr)
})

test('tests/usage-wrong.ts fails on every wrong line', { skip: !tsc && 'LICET_TSC is not set' }, () => {
  const result = typecheck('tests/usage-wrong.ts')
  assert.notEqual(result.status, 0)
  const source = readFileSync(join(work, 'tests/usage-wrong.ts'), 'utf8').split('\n')
  const wrong = source.flatMap((line, i) => (line.includes('// error:') ? [i + 1] : []))
  const reported = new Set([...result.stdout.matchAll(/usage-wrong\.ts\((\d+),/g)].map((m) => Number(m[1])))
  assert.deepEqual(wrong.filter((line) => !reported.has(line)), [], result.stdout)
  assert.deepEqual([...reported].filter((line) => !wrong.includes(line)), [], result.stdout)
})
