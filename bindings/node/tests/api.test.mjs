// The API of the installed package: keys, verify and check, the report, the guard, the errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import * as licet from 'licet'
import { Guard, ListStatus, Status, TrustedKeys, check, checkLease, machineId, verify, verifyAsync, verifyLease, version } from 'licet'
import { at, conformance, DEMO_AT, DEMO_KEY, DEMO_LICENSE, read } from './common.mjs'

const require = createRequire(import.meta.url)
const demoKeys = () => TrustedKeys.fromFiles(at(DEMO_KEY))
const demoLicense = () => read(DEMO_LICENSE)
const tempDir = () => mkdtempSync(join(tmpdir(), 'licet-node-api-'))
const NOT_A_MACHINE = 'f'.repeat(64)

/** Asserts that `fn` throws a licet usage error with `code`, its message matching `message`. */
function throwsCode(fn, code, message) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, `not an Error: ${e}`)
    assert.equal(e.code, code, e.message)
    if (message) assert.match(e.message, message)
    return true
  })
}

test('the package exports exactly the declared API, and the CommonJS entry is the same', () => {
  const names = Object.keys(require('licet')).filter((n) => n !== '__napiBindingTarget').sort()
  assert.deepEqual(names, [
    'Guard',
    'ListStatus',
    'Status',
    'TrustedKeys',
    'check',
    'checkAsync',
    'checkLease',
    'machineId',
    'verify',
    'verifyAsync',
    'verifyLease',
    'version',
  ])
  assert.equal(require('licet').verify, licet.verify)
})

test('version is the workspace version, as in package.json', () => {
  const pkg = JSON.parse(readFileSync(require.resolve('licet/package.json'), 'utf8'))
  assert.equal(version, pkg.version)
  assert.match(version, /^\d+\.\d+\.\d+/)
})

test('Status and ListStatus name every status, values equal to names, UNKNOWN included', () => {
  const statuses = [
    'ACTIVE', 'IN_GRACE', 'EXPIRED', 'NOT_YET_VALID', 'MACHINE_MISMATCH', 'WRONG_PRODUCT',
    'BAD_SIGNATURE', 'UNKNOWN_KEY', 'UNSUPPORTED_ALGORITHM', 'MALFORMED', 'REVOKED',
    'CLOCK_ROLLBACK', 'WRONG_POOL', 'LEASE_TOO_LONG', 'KEY_RETIRED', 'KEY_REVOKED', 'UNKNOWN',
  ]
  assert.deepEqual(Object.keys(Status), statuses)
  for (const name of statuses) assert.equal(Status[name], name)
  const lists = [
    'ACCEPTED', 'OLDER_THAN_SEEN', 'DATED_AHEAD', 'BAD_SIGNATURE', 'UNKNOWN_KEY',
    'UNSUPPORTED_ALGORITHM', 'MALFORMED', 'NOT_AUTHORIZED', 'UNKNOWN',
  ]
  assert.deepEqual(Object.keys(ListStatus), lists)
  for (const name of lists) assert.equal(ListStatus[name], name)
})

test('trusted keys from strings, Buffers, arrays and files add up', () => {
  const pem = read(DEMO_KEY)
  assert.equal(new TrustedKeys().size, 0)
  assert.equal(new TrustedKeys(pem).size, 1)
  assert.equal(new TrustedKeys(pem.toString()).size, 1)
  assert.equal(TrustedKeys.from(pem).size, 1)
  assert.equal(TrustedKeys.from(pem.toString('utf8')).size, 1)
  // Two PEM blocks in one file: two keys.
  const both = conformance('keys/both.pub.pem')
  assert.equal(TrustedKeys.from(both).size, 2)
  assert.equal(TrustedKeys.from([pem, conformance('keys/rsa2048.pub.pem')]).size, 2)
  const keys = new TrustedKeys()
  assert.equal(keys.add(conformance('keys/ed25519.jwk')), 1)
  assert.equal(keys.add(conformance('keys/both.jwks').toString()), 2)
  assert.equal(keys.addFile(at('fixtures/conformance/keys/rsa2048.pub.pem')), 1)
  assert.equal(keys.size, 4)
  assert.equal(keys.kids.length, 4)
  for (const kid of keys.kids) assert.match(kid, /^[A-Za-z0-9_-]{43}$/)
  const files = TrustedKeys.fromFiles([
    at('fixtures/conformance/keys/ed25519.pub.pem'),
    at('fixtures/conformance/keys/rsa2048.pub.pem'),
  ])
  assert.equal(files.size, 2)
  assert.deepEqual(TrustedKeys.fromFiles(at(DEMO_KEY)).kids, TrustedKeys.from(pem).kids)
})

test('the demo license verifies ACTIVE, with every report field', () => {
  const report = verify(demoLicense(), demoKeys(), { at: DEMO_AT })
  assert.equal(report.status, Status.ACTIVE)
  assert.equal(report.status, 'ACTIVE')
  assert.equal(report.valid, true)
  assert.equal(report.passed, true)
  assert.match(report.reason, /valid/)
  assert.equal(report.kid, demoKeys().kids[0])
  assert.equal(report.alg, 'EdDSA')
  assert.equal(report.customerId, 'ACME-001')
  assert.equal(report.licenseId, report.claims.jti)
  assert.equal(report.product, report.claims.aud)
  assert.equal(report.licenseType, 'STANDARD')
  assert.ok(report.issuedAt instanceof Date)
  assert.equal(report.issuedAt.getTime() / 1000, report.claims.iat)
  assert.ok(report.expiresAt instanceof Date)
  assert.equal(report.expiresAt.getTime() / 1000, report.claims.exp)
  assert.equal(report.notBefore, null)
  assert.deepEqual(report.lists, [])
  assert.equal(report.listsEnforced, 0)
  // The claims are a plain object, with the license's own claim names.
  assert.equal(Object.getPrototypeOf(report.claims), Object.prototype)
  assert.equal(report.claims.sub, 'ACME-001')
  assert.deepEqual(JSON.parse(JSON.stringify(report.claims)), report.claims)
  // The same verdict from a string, and from Unix seconds.
  const again = verify(demoLicense().toString(), demoKeys(), { at: DEMO_AT.getTime() / 1000 })
  assert.deepEqual(again, report)
  // Fractions of a second are dropped.
  assert.equal(verify(demoLicense(), demoKeys(), { at: DEMO_AT.getTime() / 1000 + 0.75 }).status, 'ACTIVE')
})

test('a "no" verdict is a report, never an exception', () => {
  const expired = verify(demoLicense(), demoKeys(), { at: new Date('2040-01-01T00:00:00Z') })
  assert.equal(expired.status, 'EXPIRED')
  assert.equal(expired.valid, false)
  assert.equal(expired.passed, false)
  // Still signature-verified: the fields are there.
  assert.equal(expired.customerId, 'ACME-001')

  const garbage = verify('not a license', demoKeys())
  assert.equal(garbage.status, 'MALFORMED')
  assert.equal(garbage.claims, null)
  assert.equal(garbage.licenseId, null)
  assert.equal(garbage.issuedAt, null)
  assert.equal(garbage.kid, null)

  const unknown = verify(demoLicense(), new TrustedKeys(), { at: DEMO_AT })
  assert.equal(unknown.status, 'UNKNOWN_KEY')
  assert.equal(unknown.claims, null)

  const stranger = verify(demoLicense(), TrustedKeys.from(conformance('keys/stranger.pub.pem')), { at: DEMO_AT })
  assert.equal(stranger.valid, false)

  const empty = verify(Buffer.alloc(0), demoKeys())
  assert.equal(empty.status, 'MALFORMED')
  const huge = verify(Buffer.alloc(1024 * 1024, 0x41), demoKeys())
  assert.equal(huge.status, 'MALFORMED')
})

test('options: product, leeway, machine, checkMachine, clockTolerance', () => {
  const keys = TrustedKeys.from([conformance('keys/ed25519.pub.pem'), conformance('keys/rsa2048.pub.pem')])
  const product = conformance('licenses/product-a.lic')
  const when = { at: 1798761600 }
  const claims = verify(product, keys, { ...when, checkMachine: false }).claims
  assert.equal(verify(product, keys, { ...when, product: claims.aud }).status, 'ACTIVE')
  assert.equal(verify(product, keys, { ...when, product: 'another-product' }).status, 'WRONG_PRODUCT')

  // A node-locked license: its machine, another machine, or not checked.
  const locked = conformance('licenses/node-locked.lic')
  const lockedClaims = verify(locked, keys, { ...when, checkMachine: false })
  assert.equal(lockedClaims.status, 'ACTIVE')
  const machine = lockedClaims.claims.machine_ids[0]
  assert.equal(verify(locked, keys, { ...when, machine }).status, 'ACTIVE')
  assert.equal(verify(locked, keys, { ...when, machine: machine.toUpperCase() }).status, 'ACTIVE')
  assert.equal(verify(locked, keys, { ...when, machine: NOT_A_MACHINE }).status, 'MACHINE_MISMATCH')
  assert.equal(verify(locked, keys, { ...when, machine, checkMachine: true }).status, 'ACTIVE')

  // Leeway: an expired license within the leeway is still valid.
  const expired = verify(demoLicense(), demoKeys(), { at: new Date('2031-01-01T00:00:30Z') })
  assert.equal(expired.status, 'EXPIRED')
  const withLeeway = verify(demoLicense(), demoKeys(), { at: new Date('2031-01-01T00:00:30Z'), leeway: 60 })
  assert.equal(withLeeway.status, 'ACTIVE')

  // The clock before the license's issue time, beyond the tolerance: CLOCK_ROLLBACK.
  const issued = verify(demoLicense(), demoKeys(), { at: DEMO_AT }).issuedAt.getTime() / 1000
  assert.equal(verify(demoLicense(), demoKeys(), { at: issued - 7200 }).status, 'CLOCK_ROLLBACK')
  assert.equal(verify(demoLicense(), demoKeys(), { at: issued - 7200, clockTolerance: 86400 }).status, 'ACTIVE')

  // null and undefined are "not given".
  assert.equal(verify(demoLicense(), demoKeys(), { at: DEMO_AT, machine: null, product: undefined }).status, 'ACTIVE')
})

test('check applies revocation lists and reports each', () => {
  const keys = TrustedKeys.from(conformance('keys/ed25519.pub.pem'))
  const revoked = conformance('licenses/revoked.lic')
  const when = { at: 1798761600, checkMachine: false }
  const list = { source: 'revokes-conf-revoked.jwt', data: conformance('lists/revokes-conf-revoked.jwt') }
  const report = check(revoked, keys, [list], when)
  assert.equal(report.status, 'REVOKED')
  assert.equal(report.valid, false)
  assert.equal(report.listsEnforced, 1)
  assert.equal(report.lists.length, 1)
  const [entry] = report.lists
  assert.equal(entry.source, 'revokes-conf-revoked.jwt')
  assert.equal(entry.status, ListStatus.ACCEPTED)
  assert.match(entry.reason, /verified/)
  assert.equal(typeof entry.kid, 'string')
  assert.equal(typeof entry.seq, 'number')
  assert.ok(entry.issuedAt instanceof Date)
  assert.ok(entry.entries >= 1)

  // A list that does not verify is refused; the license keeps its own verdict, not passed.
  const tampered = check(revoked, keys, [{ source: 't', data: conformance('lists/tampered.jwt').toString() }], when)
  assert.equal(tampered.status, 'ACTIVE')
  assert.equal(tampered.valid, true)
  assert.equal(tampered.passed, false)
  assert.equal(tampered.lists[0].status, 'BAD_SIGNATURE')
  assert.equal(tampered.lists[0].kid, null)
  assert.equal(tampered.lists[0].seq, null)
  assert.equal(tampered.lists[0].issuedAt, null)
  assert.equal(tampered.listsEnforced, 0)

  // No lists: the same as verify.
  assert.deepEqual(check(revoked, keys, [], when), verify(revoked, keys, when))
})

test('the guard remembers the clock and keeps revocations', () => {
  const dir = join(tempDir(), 'state')
  try {
    const keys = TrustedKeys.from(conformance('keys/ed25519.pub.pem'))
    const guard = new Guard(dir, keys, { clockTolerance: 3600, lockTimeout: 1 })
    assert.equal(guard.dir, dir)
    assert.equal(statSync(dir).mode & 0o777, 0o700)
    const license = conformance('licenses/stateful-revoked.lic')
    const when = { at: 1798761600, checkMachine: false }
    assert.equal(guard.check(license, [], when).status, 'ACTIVE')
    assert.equal(guard.check(license, null, when).status, 'ACTIVE')
    assert.equal(guard.check(license, undefined, when).status, 'ACTIVE')
    assert.equal(guard.check(license).valid, guard.check(license).valid)
    // The clock set back two days: CLOCK_ROLLBACK, also through a second guard on the same dir.
    const back = { at: 1798761600 - 2 * 86400, checkMachine: false }
    assert.equal(guard.check(license, [], back).status, 'CLOCK_ROLLBACK')
    assert.equal(Guard.open(dir, keys).check(license, [], back).status, 'CLOCK_ROLLBACK')
    // A list given once is kept: the license stays revoked when it is left out.
    const lists = [{ source: 'seq-10', data: conformance('lists/state-seq-10.jwt') }]
    const first = guard.check(license, lists, when)
    const later = guard.check(license, [], when)
    assert.equal(later.status, first.status)
    assert.ok(later.listsEnforced >= 1)
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true })
  }
})

test('key files: regular files only (a FIFO is refused at once, never waited on), at most 1 MiB', () => {
  const dir = tempDir()
  try {
    const fifo = join(dir, 'fifo')
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo')
    // In a child process with a timeout: a read that waits for a FIFO's writer would hang here.
    const child = spawnSync(process.execPath, ['-e', `
      const { TrustedKeys } = require(${JSON.stringify(require.resolve('licet'))})
      for (const f of [() => TrustedKeys.fromFiles(process.argv[1]), () => new TrustedKeys().addFile(process.argv[1])]) {
        try { f(); console.log('read') } catch (e) { console.log(e.code + ': ' + e.message) }
      }`, fifo], { encoding: 'utf8', timeout: 20000 })
    assert.equal(child.error, undefined, `the child: ${child.error} (a FIFO read hangs)`)
    assert.equal(child.status, 0, child.stderr)
    const lines = child.stdout.trim().split('\n')
    assert.equal(lines.length, 2, child.stdout)
    for (const line of lines) {
      assert.match(line, /^LICET_KEY_FILE: .*fifo.*not a regular file \(a FIFO\)/)
    }
    const pem = read(DEMO_KEY)
    const exact = join(dir, 'exact.pem')
    writeFileSync(exact, Buffer.concat([pem, Buffer.alloc(1024 * 1024 - pem.length, '\n')]))
    assert.equal(TrustedKeys.fromFiles(exact).size, 1)
    const big = join(dir, 'big.pem')
    writeFileSync(big, Buffer.concat([pem, Buffer.alloc(1024 * 1024 + 1 - pem.length, '\n')]))
    throwsCode(() => TrustedKeys.fromFiles(big), 'LICET_KEY_FILE', /big\.pem is larger than 1048576 bytes/)
    throwsCode(() => TrustedKeys.fromFiles(dir), 'LICET_KEY_FILE', /not a regular file \(a directory\)/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a rollover statement adds its key, and a refused one changes nothing', () => {
  const keys = demoKeys()
  assert.equal(keys.addRollover(conformance('keys/ed25519-to-successor.rollover.jwt')), false)
  assert.equal(keys.size, 2)
  throwsCode(() => keys.addRolloverFile(at('fixtures/conformance/keys/ed25519-to-successor.rollover.jwt')), 'LICET_KEY_FILE', /was refused: .*trusted already/)
  assert.equal(keys.size, 2)
  const empty = new TrustedKeys()
  throwsCode(() => empty.addRollover(conformance('keys/ed25519-to-successor.rollover.jwt')), 'LICET_KEY_FILE', /was refused/)
  assert.equal(empty.size, 0)
})

test('usage errors throw an Error with a code and a message that names the problem', () => {
  const keys = demoKeys()
  const license = demoLicense()
  throwsCode(() => TrustedKeys.from('not a key'), 'LICET_KEY_FILE', /not a public key/)
  throwsCode(() => TrustedKeys.from(Buffer.alloc(0)), 'LICET_KEY_FILE', /no public key/)
  throwsCode(() => new TrustedKeys('{"kty":"oct"}'), 'LICET_KEY_FILE', /JWK/)
  throwsCode(() => TrustedKeys.from(read('keys/demo-ed25519.key.pem')), 'LICET_KEY_FILE', /private key/)
  throwsCode(() => TrustedKeys.from([read(DEMO_KEY), 'junk']), 'LICET_KEY_FILE', /index 1/)
  throwsCode(() => TrustedKeys.fromFiles('/nonexistent/vendor.pub.pem'), 'LICET_KEY_FILE', /\/nonexistent\/vendor\.pub\.pem.*No such file/)
  throwsCode(() => TrustedKeys.fromFiles(at('README.md')), 'LICET_KEY_FILE', /README\.md/)
  throwsCode(() => TrustedKeys.fromFiles('/dev/zero'), 'LICET_KEY_FILE', /not a regular file/)
  throwsCode(() => new TrustedKeys().addFile(at('keys')), 'LICET_KEY_FILE', /keys/)

  throwsCode(() => verify(license, keys, { machine: 'abc' }), 'LICET_MACHINE_ID', /options\.machine.*64 hexadecimal/)
  throwsCode(() => verify(license, keys, { machine: 'g'.repeat(64) }), 'LICET_MACHINE_ID')
  throwsCode(() => verify(license, keys, { prodcut: 'x' }), 'LICET_OPTIONS', /unknown option `prodcut`/)
  throwsCode(() => verify(license, keys, { machine: NOT_A_MACHINE, checkMachine: false }), 'LICET_OPTIONS', /contradict/)
  throwsCode(() => verify(license, keys, { at: new Date('not a date') }), 'LICET_OPTIONS', /options\.at/)
  throwsCode(() => verify(license, keys, { at: -1 }), 'LICET_OPTIONS', /options\.at/)
  throwsCode(() => verify(license, keys, { at: Infinity }), 'LICET_OPTIONS', /options\.at/)
  throwsCode(() => verify(license, keys, { at: '2026-06-01' }), 'LICET_OPTIONS', /options\.at must be a Date or a number/)
  throwsCode(() => verify(license, keys, { at: new Date(Date.UTC(10000, 0, 1)) }), 'LICET_OPTIONS', /range/)
  throwsCode(() => verify(license, keys, { leeway: -1 }), 'LICET_OPTIONS', /options\.leeway/)
  throwsCode(() => verify(license, keys, { leeway: 1.5 }), 'LICET_OPTIONS', /options\.leeway/)
  throwsCode(() => verify(license, keys, { clockTolerance: 2 ** 32 }), 'LICET_OPTIONS', /options\.clockTolerance/)
  throwsCode(() => verify(license, keys, { product: 7 }), 'LICET_OPTIONS', /options\.product must be a string/)
  throwsCode(() => verify(license, keys, { checkMachine: 'no' }), 'LICET_OPTIONS', /checkMachine must be a boolean/)
  throwsCode(() => check(license, keys, [{ data: 'x' }]), 'LICET_OPTIONS', /lists\[0\]\.source is missing/)
  throwsCode(() => check(license, keys, [{ source: 'x' }]), 'LICET_OPTIONS', /lists\[0\]\.data is missing/)
  throwsCode(() => check(license, keys, [{ source: 'x', data: 'y', extra: 1 }]), 'LICET_OPTIONS', /unknown option `extra`/)
  throwsCode(() => verify(license, keys, 5), 'LICET_OPTIONS', /options must be an object, not Number/)
  throwsCode(() => verify(license, keys, 'at=0'), 'LICET_OPTIONS', /options must be an object/)
  throwsCode(() => check(license, keys, ['list text']), 'LICET_OPTIONS', /lists\[0\] must be an object/)
  throwsCode(() => new Guard(tmpdir(), keys, 3600), 'LICET_OPTIONS', /settings must be an object/)
  // Wrong argument types are refused by Node-API before licet runs.
  assert.throws(() => verify(42, keys))
  assert.throws(() => verify(license, {}))
})

test('state errors: a file in the way, a corrupt state, a newer state, a busy lock', async () => {
  const keys = demoKeys()
  const base = tempDir()
  try {
    const file = join(base, 'a-file')
    writeFileSync(file, 'x')
    assert.throws(() => new Guard(file, keys), (e) => e.code === 'LICET_STATE' && e.stateError === 'IO' && e.message.includes(file))

    const corrupt = join(base, 'corrupt')
    new Guard(corrupt, keys).check(demoLicense(), [], { at: DEMO_AT })
    writeFileSync(join(corrupt, 'state.json'), '{ not json')
    assert.throws(() => Guard.open(corrupt, keys), (e) => e.code === 'LICET_STATE' && e.stateError === 'CORRUPT' && /corrupt/.test(e.message))

    const newer = join(base, 'newer')
    const guard = new Guard(newer, keys)
    guard.check(demoLicense(), [], { at: DEMO_AT })
    const state = JSON.parse(readFileSync(join(newer, 'state.json'), 'utf8'))
    writeFileSync(join(newer, 'state.json'), JSON.stringify({ ...state, version: 999 }))
    // Opened before the change: the check itself refuses the state (and the Promise rejects).
    assert.throws(() => guard.check(demoLicense(), [], { at: DEMO_AT }), (e) => e.code === 'LICET_STATE' && e.stateError === 'NEWER_VERSION' && /999/.test(e.message))
    await assert.rejects(guard.checkAsync(demoLicense(), [], { at: DEMO_AT }), (e) => e.code === 'LICET_STATE' && e.stateError === 'NEWER_VERSION')

    // Another process holds the state's lock: BUSY after lockTimeout.
    const busy = join(base, 'busy')
    const busyGuard = new Guard(busy, keys, { lockTimeout: 0.2 })
    const holder = spawn('flock', [join(busy, 'state.lock'), 'sleep', '5'], { stdio: 'ignore' })
    try {
      await new Promise((resolve) => setTimeout(resolve, 300))
      const started = Date.now()
      assert.throws(() => busyGuard.check(demoLicense(), [], { at: DEMO_AT }), (e) => e.code === 'LICET_STATE' && e.stateError === 'BUSY' && /locked/.test(e.message))
      assert.ok(Date.now() - started < 3000, 'waited longer than the lock timeout')
    } finally {
      holder.kill()
    }

    // guard.check does not take clockTolerance: the guard's own applies.
    throwsCode(() => busyGuard.check(demoLicense(), [], { clockTolerance: 10 }), 'LICET_OPTIONS', /clockTolerance/)
    throwsCode(() => new Guard(join(base, 'x'), keys, { lockTimeout: -1 }), 'LICET_OPTIONS', /lockTimeout/)
    throwsCode(() => new Guard(join(base, 'x'), keys, { clockTolerance: -1 }), 'LICET_OPTIONS', /clockTolerance/)
    throwsCode(() => new Guard(join(base, 'x'), keys, { tolerance: 1 }), 'LICET_OPTIONS', /unknown option `tolerance`/)

    // An unreadable state directory (unless running as root, who reads anything).
    if (process.getuid && process.getuid() !== 0) {
      const locked = join(base, 'locked')
      new Guard(locked, keys)
      chmodSync(locked, 0)
      assert.throws(() => new Guard(locked, keys).check(demoLicense()), (e) => e.code === 'LICET_STATE')
      chmodSync(locked, 0o700)
    }
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
})

test('verifyAsync resolves with the same report as verify, and rejects usage errors', async () => {
  const keys = demoKeys()
  const sync = verify(demoLicense(), keys, { at: DEMO_AT })
  const promise = verifyAsync(demoLicense(), keys, { at: DEMO_AT })
  assert.ok(promise instanceof Promise)
  assert.deepEqual(await promise, sync)
  await assert.rejects(verifyAsync(demoLicense(), keys, { machine: 'nope' }), (e) => e instanceof Error && e.code === 'LICET_MACHINE_ID')
  await assert.rejects(licet.checkAsync(demoLicense(), keys, [{ source: 1 }]), (e) => e.code === 'LICET_OPTIONS')
  assert.equal((await verifyAsync('garbage', keys)).status, 'MALFORMED')
})

test('machineId is 64 lowercase hex, or a LICET_MACHINE_ID error naming what was tried', () => {
  let id
  try {
    id = machineId()
  } catch (e) {
    assert.equal(e.code, 'LICET_MACHINE_ID')
    assert.match(e.message, /tried/)
    return
  }
  assert.match(id, /^[0-9a-f]{64}$/)
  assert.equal(machineId(), id)
  // This machine's id is what the default machine check uses.
  const keys = TrustedKeys.from(conformance('keys/ed25519.pub.pem'))
  const locked = conformance('licenses/node-locked.lic')
  assert.equal(verify(locked, keys, { at: 1798761600 }).status, verify(locked, keys, { at: 1798761600, machine: id }).status)
})

test('a lease is checked against its pool license, and the pool report is a Report', () => {
  const keys = TrustedKeys.from(conformance('keys/ed25519.pub.pem'))
  const lease = conformance('leases/valid.jwt')
  const pool = conformance('leases/pool.lic').toString('utf8') // text is accepted too
  const machine = '57b4ededd7060cf76633d6d73b900c9f529d083bc865cc597f5fe774121ae128'
  const at = new Date('2027-01-01T00:00:00Z')
  const report = verifyLease(lease, pool, keys, { at, machine })
  assert.equal(report.status, Status.ACTIVE)
  assert.ok(report.valid && report.passed)
  assert.equal(report.part, null)
  assert.equal(report.poolLicenseId, 'conf-pool-001')
  assert.equal(report.machineId, machine)
  assert.ok(report.expiresAt > at)
  assert.equal(report.pool.licenseType, 'POOL')
  const notPool = verifyLease(lease, conformance('leases/not-a-pool.lic'), keys, { at, machine })
  assert.deepEqual([notPool.status, notPool.part, notPool.leaseId], [Status.WRONG_POOL, 'pool', null])
  const revoked = checkLease(lease, pool, keys, [{ source: 'pool-revoked.jwt', data: conformance('leases/pool-revoked.jwt') }], { at, machine })
  assert.deepEqual([revoked.status, revoked.part], [Status.REVOKED, 'pool'])
  assert.deepEqual(revoked.pool.lists.map((l) => l.status), [ListStatus.ACCEPTED])
  throwsCode(() => verifyLease(lease, pool, keys, { at, colour: 'red' }), 'LICET_OPTIONS', /unknown option `colour`/)
})
