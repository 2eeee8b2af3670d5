// The conformance corpus (fixtures/conformance/cases.json, and the lease cases of leases.json)
// through the installed npm package:
// every case and step, through the synchronous API and again through the Promise API. Prints
// every step that disagrees (case, step, expected, got) and fails when any does or when no case
// ran. LICET_CONFORMANCE_CASES=/path/to/cases.json runs another cases file; its paths are
// relative to fixtures/conformance (or to LICET_CONFORMANCE_DIR when set), as in the corpus.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { Guard, TrustedKeys, check, checkAsync, checkLease } from 'licet'
import { at, CONFORMANCE } from './common.mjs'

const casesFile = process.env.LICET_CONFORMANCE_CASES || at(join(CONFORMANCE, 'cases.json'))
const corpusDir = process.env.LICET_CONFORMANCE_DIR || at(CONFORMANCE)
const corpus = JSON.parse(readFileSync(casesFile, 'utf8'))
const file = (relative) => readFileSync(join(corpusDir, relative))

function options(step) {
  const options = { at: step.at, leeway: step.leeway }
  if (step.machine !== null) options.machine = step.machine
  if (step.product !== null) options.product = step.product
  return options
}

/** What the report says, in the shape of a step's `expect`. */
function observed(report) {
  const seconds = (date) => (date === null ? null : date.getTime() / 1000)
  return {
    status: report.status,
    valid: report.valid,
    passed: report.passed,
    lists: report.lists.map((list) => list.status),
    claims:
      report.claims === null
        ? null
        : {
            license_id: report.licenseId,
            customer_id: report.customerId,
            product: report.product,
            license_type: report.licenseType,
            issued_at: seconds(report.issuedAt),
            expires_at: seconds(report.expiresAt),
            alg: report.alg,
            kid: report.kid,
          },
  }
}

/** Runs every case; `sync` picks check/guard.check or checkAsync/guard.checkAsync. */
async function runCorpus(sync) {
  const disagreements = []
  let cases = 0
  let steps = 0
  for (const c of corpus.cases) {
    cases += 1
    const license = file(c.license)
    const keys = new TrustedKeys()
    for (const key of c.trusted) keys.add(file(key))
    for (const statement of c.rollovers) keys.addRollover(file(statement))
    let stateDir = null
    let guard = null
    if (c.state) {
      stateDir = mkdtempSync(join(tmpdir(), 'licet-conformance-'))
      guard = new Guard(stateDir, keys, { clockTolerance: c.clock_tolerance })
    }
    try {
      for (const [i, step] of c.steps.entries()) {
        const lists = step.lists.map((source) => ({ source, data: file(source) }))
        let report
        if (guard) {
          report = sync
            ? guard.check(license, lists, options(step))
            : await guard.checkAsync(license, lists, options(step))
        } else {
          const opts = { ...options(step), clockTolerance: c.clock_tolerance }
          report = sync ? check(license, keys, lists, opts) : await checkAsync(license, keys, lists, opts)
        }
        const got = observed(report)
        if (!isDeepStrictEqual(got, step.expect)) {
          disagreements.push(
            `case ${c.name}, step ${i}: expected ${JSON.stringify(step.expect)}\n  got ${JSON.stringify(got)}\n  reason: ${report.reason}`,
          )
        }
        steps += 1
      }
    } finally {
      if (stateDir) rmSync(stateDir, { recursive: true, force: true })
    }
  }
  return { cases, steps, disagreements }
}

for (const [name, sync] of [
  ['synchronous API', true],
  ['Promise API', false],
]) {
  test(`conformance corpus (${name})`, async (t) => {
    assert.equal(corpus.format, 1, `${casesFile}: format`)
    const { cases, steps, disagreements } = await runCorpus(sync)
    const summary = `conformance (${name}): ${cases} cases, ${steps} steps, ${disagreements.length} disagree (${casesFile})`
    console.log(summary)
    t.diagnostic(summary)
    for (const d of disagreements) console.error(d)
    assert.ok(cases > 0 && steps >= cases, `no case ran (${cases} cases, ${steps} steps)`)
    assert.equal(
      disagreements.length,
      0,
      `${disagreements.length} of ${steps} steps disagree with ${casesFile}:\n${disagreements.join('\n')}`,
    )
  })
}

// The lease cases (fixtures/conformance/leases.json, or LICET_CONFORMANCE_LEASES).
const leasesFile = process.env.LICET_CONFORMANCE_LEASES || at(join(CONFORMANCE, 'leases.json'))

/** What a lease report says, in the shape of a lease case's `expect`. */
function observedLease(report) {
  const seconds = (date) => (date === null ? null : date.getTime() / 1000)
  return {
    status: report.status,
    valid: report.valid,
    passed: report.passed,
    part: report.part,
    lists: report.pool.lists.map((list) => list.status),
    lease:
      report.leaseId === null
        ? null
        : {
            lease_id: report.leaseId,
            machine_id: report.machineId,
            pool_license_id: report.poolLicenseId,
            issued_at: seconds(report.issuedAt),
            expires_at: seconds(report.expiresAt),
          },
  }
}

test('lease cases of the conformance corpus', (t) => {
  const leases = JSON.parse(readFileSync(leasesFile, 'utf8'))
  assert.equal(leases.format, 1, `${leasesFile}: format`)
  const disagreements = []
  for (const c of leases.cases) {
    const keys = new TrustedKeys()
    for (const key of c.trusted) keys.add(file(key))
    const lists = c.lists.map((source) => ({ source, data: file(source) }))
    const options = { at: c.at, leeway: c.leeway, clockTolerance: c.clock_tolerance }
    if (c.machine !== null) options.machine = c.machine
    const report = checkLease(file(c.lease), file(c.pool), keys, lists, options)
    const got = observedLease(report)
    if (!isDeepStrictEqual(got, c.expect)) {
      disagreements.push(
        `lease case ${c.name}: expected ${JSON.stringify(c.expect)}\n  got ${JSON.stringify(got)}\n  reason: ${report.reason}`,
      )
    }
  }
  const summary = `lease conformance: ${leases.cases.length} cases, ${disagreements.length} disagree (${leasesFile})`
  console.log(summary)
  t.diagnostic(summary)
  for (const d of disagreements) console.error(d)
  assert.ok(leases.cases.length > 0, 'no lease case ran')
  assert.equal(disagreements.length, 0, `${summary}:\n${disagreements.join('\n')}`)
})
