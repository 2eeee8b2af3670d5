// The examples of docs/EMBEDDING.md (examples/*.js), run as scripts against the installed
// package with the demo key and license.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { at, DEMO_KEY, DEMO_LICENSE } from './common.mjs'

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples')
const run = (script, ...args) => spawnSync(process.execPath, [join(examples, script), ...args], { encoding: 'utf8' })

test('examples/verify.js: the demo license is ACTIVE', () => {
  const out = execFileSync(process.execPath, [join(examples, 'verify.js'), at(DEMO_KEY), at(DEMO_LICENSE)], { encoding: 'utf8' })
  assert.match(out, /^ACTIVE: /)
  assert.match(out, /for ACME-001, expires 20\d\d-/)
})

test('examples/verify.js: another key says no, with exit code 1', () => {
  const result = run('verify.js', at('fixtures/conformance/keys/stranger.pub.pem'), at(DEMO_LICENSE))
  assert.equal(result.status, 1, result.stderr)
  assert.match(result.stdout, /^UNKNOWN_KEY: /)
})

test('examples/verify.js: a file that is not a key is an error, not a verdict', () => {
  const result = run('verify.js', at(DEMO_LICENSE), at(DEMO_LICENSE))
  assert.notEqual(result.status, 0)
  assert.match(result.stderr, /LICET_KEY_FILE/)
})

test('examples/stateful.js: ACTIVE, then CLOCK_ROLLBACK a day earlier', () => {
  const dir = mkdtempSync(join(tmpdir(), 'licet-node-example-'))
  try {
    const result = run('stateful.js', at(DEMO_KEY), at(DEMO_LICENSE), join(dir, 'state'))
    assert.equal(result.status, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /^ACTIVE: /)
    assert.match(result.stdout, /a day earlier: CLOCK_ROLLBACK/)
    // The state directory is not usable (a file in the way): exit code 2 with the code.
    const blocked = run('stateful.js', at(DEMO_KEY), at(DEMO_LICENSE), at(DEMO_LICENSE))
    assert.equal(blocked.status, 2)
    assert.match(blocked.stderr, /licet: LICET_STATE: /)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
