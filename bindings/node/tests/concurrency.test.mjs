// Thread safety: many verifyAsync/checkAsync calls at once on the libuv thread pool with one
// shared TrustedKeys, guards used from concurrent checks, and the addon loaded in several
// worker_threads at once. Every verdict must equal the synchronous one (which the conformance
// corpus checks against the Rust reference).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { Guard, TrustedKeys, checkAsync, verify, verifyAsync } from 'licet'
import { at, CONFORMANCE, DEMO_AT, DEMO_KEY, DEMO_LICENSE, read } from './common.mjs'

const corpusDir = at(CONFORMANCE)
const keyFiles = ['keys/ed25519.pub.pem', 'keys/rsa2048.pub.pem'].map((k) => join(corpusDir, k))
const corpus = JSON.parse(readFileSync(join(corpusDir, 'cases.json'), 'utf8'))

/** Every stateless step without lists, as a job: a license path and its options. */
const jobs = corpus.cases
  .filter((c) => !c.state)
  .flatMap((c) =>
    c.steps
      .filter((s) => s.lists.length === 0)
      .map((s) => ({
        license: join(corpusDir, c.license),
        options: {
          at: s.at,
          leeway: s.leeway,
          ...(s.machine === null ? {} : { machine: s.machine }),
          ...(s.product === null ? {} : { product: s.product }),
          clockTolerance: c.clock_tolerance,
        },
      })),
  )

function shuffled(array) {
  const copy = [...array]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j], copy[i]]
  }
  return copy
}

test('hundreds of verifyAsync at once with one shared TrustedKeys give the synchronous verdicts', async () => {
  const keys = TrustedKeys.fromFiles(keyFiles)
  const licenses = jobs.map((job) => readFileSync(job.license))
  const expected = jobs.map((job, i) => verify(licenses[i], keys, job.options))
  assert.ok(new Set(expected.map((r) => r.status)).size >= 6, 'the jobs should reach many different statuses')
  const order = shuffled(Array.from({ length: 10 }, () => jobs.map((_, i) => i)).flat())
  const reports = await Promise.all(order.map((i) => verifyAsync(licenses[i], keys, jobs[i].options)))
  assert.equal(reports.length, jobs.length * 10)
  reports.forEach((report, k) => assert.deepEqual(report, expected[order[k]], `job ${order[k]} (${jobs[order[k]].license})`))
})

test('checkAsync with lists, many at once', async () => {
  const keys = TrustedKeys.fromFiles(keyFiles)
  const license = read(join(CONFORMANCE, 'licenses/revoked.lic'))
  const lists = [{ source: 'r', data: read(join(CONFORMANCE, 'lists/revokes-conf-revoked.jwt')) }]
  const options = { at: 1798761600 }
  const reports = await Promise.all(Array.from({ length: 200 }, (_, i) => checkAsync(license, keys, i % 2 ? lists : [], options)))
  reports.forEach((r, i) => assert.equal(r.status, i % 2 ? 'REVOKED' : 'ACTIVE'))
})

test('a check started before keys.add sees the keys it started with', async () => {
  const keys = TrustedKeys.fromFiles(keyFiles[0]) // Ed25519 only
  const rsaLicense = read(join(CONFORMANCE, 'licenses/rs256-active.lic'))
  const options = { at: 1798761600 }
  const before = Array.from({ length: 100 }, () => verifyAsync(rsaLicense, keys, options))
  keys.addFile(keyFiles[1])
  const after = Array.from({ length: 100 }, () => verifyAsync(rsaLicense, keys, options))
  for (const r of await Promise.all(before)) assert.equal(r.status, 'UNKNOWN_KEY')
  for (const r of await Promise.all(after)) assert.equal(r.status, 'ACTIVE')
})

test('one guard (and a second on the same directory) from concurrent checkAsync calls', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'licet-node-guard-'))
  try {
    const keys = TrustedKeys.fromFiles(at(DEMO_KEY))
    const one = new Guard(dir, keys)
    const two = Guard.open(dir, keys)
    const license = read(DEMO_LICENSE)
    const reports = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? one : two).checkAsync(license, [], { at: DEMO_AT })),
    )
    for (const r of reports) assert.equal(r.status, 'ACTIVE')
    // The state recorded the time: a check a day earlier is refused.
    const back = new Date(DEMO_AT.getTime() - 86400 * 1000)
    assert.equal((await one.checkAsync(license, [], { at: back })).status, 'CLOCK_ROLLBACK')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('worker_threads: the addon in four workers at once, each with its own keys, one shared state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'licet-node-workers-'))
  try {
    const keys = TrustedKeys.fromFiles(keyFiles)
    const expected = jobs.map((job) => verify(readFileSync(job.license), keys, job.options).status)
    const workerData = { jobs, keyFiles, guardKey: at(DEMO_KEY), guardDir: dir, guardLicense: at(DEMO_LICENSE), guardAt: DEMO_AT.getTime() / 1000 }
    const run = () =>
      new Promise((resolve, reject) => {
        const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData })
        worker.once('message', resolve)
        worker.once('error', reject)
        worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)))
      })
    // The main thread verifies at the same time.
    const [results, mainReports] = await Promise.all([
      Promise.all(Array.from({ length: 4 }, run)),
      Promise.all(jobs.map((job) => verifyAsync(readFileSync(job.license), keys, job.options))),
    ])
    assert.deepEqual(mainReports.map((r) => r.status), expected)
    for (const result of results) {
      assert.deepEqual(result.sync, expected)
      assert.deepEqual(result.async, expected)
      assert.deepEqual(result.guarded, Array(10).fill('ACTIVE'))
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
