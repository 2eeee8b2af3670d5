// Benchmark: licet's Node addon against the `jose` npm package (pinned in package-lock.json) on
// the same EdDSA license (the demo license and key), per token, in one run. Both check the
// signature, the `typ` header and the time claims at a fixed evaluation time.
//
//   bash bindings/node/build --release && node bindings/node/bench.mjs [ITERATIONS]
//
// Prints one line per measurement and a JSON summary (for docs/PERFORMANCE.md). The addon is the
// one ./build last put beside this file (index.js): build with --release for figures.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { importSPKI, jwtVerify } from 'jose'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const licet = createRequire(import.meta.url)('./index.js')
const iterations = Number(process.argv[2] ?? 20000)

const pem = readFileSync(join(root, 'keys/demo-ed25519.pub.pem'), 'utf8')
const token = readFileSync(join(root, 'crates/verifier/testdata/demo.lic'), 'utf8').trim()
const at = new Date('2026-06-01T00:00:00Z')

const keys = licet.TrustedKeys.from(pem)
const options = { at, checkMachine: false }
const joseKey = await importSPKI(pem, 'EdDSA')
const joseOptions = { algorithms: ['EdDSA'], typ: 'license+jwt', currentDate: at }

// Same verdict first: both accept the token.
const report = licet.verify(token, keys, options)
if (report.status !== 'ACTIVE') throw new Error(`licet: ${report.status}: ${report.reason}`)
const { payload } = await jwtVerify(token, joseKey, joseOptions)
if (payload.jti !== report.licenseId) throw new Error('jose and licet read different claims')

async function measure(name, fn, n = iterations) {
  for (let i = 0; i < Math.min(2000, n); i++) await fn() // warm-up
  const start = performance.now()
  for (let i = 0; i < n; i++) await fn()
  const perToken = ((performance.now() - start) * 1000) / n
  console.log(`${name.padEnd(34)} ${perToken.toFixed(2).padStart(8)} us/token  (${n} tokens)`)
  return perToken
}

const syncLicet = () => {
  if (!licet.verify(token, keys, options).valid) throw new Error('licet said no')
}
const results = {
  licetVerify: await measure('licet verify (sync)', syncLicet),
  licetVerifyAsync: await measure('licet verifyAsync (awaited)', () => licet.verifyAsync(token, keys, options)),
  joseJwtVerify: await measure('jose jwtVerify (awaited)', () => jwtVerify(token, joseKey, joseOptions)),
}
// Throughput with many in flight: the thread pool against jose's.
async function batch(name, fn, n = iterations) {
  const start = performance.now()
  for (let done = 0; done < n; done += 256) await Promise.all(Array.from({ length: Math.min(256, n - done) }, fn))
  const perToken = ((performance.now() - start) * 1000) / n
  console.log(`${name.padEnd(34)} ${perToken.toFixed(2).padStart(8)} us/token  (${n} tokens, 256 at a time)`)
  return perToken
}
results.licetVerifyAsyncBatch = await batch('licet verifyAsync (256 in flight)', () => licet.verifyAsync(token, keys, options))
results.joseJwtVerifyBatch = await batch('jose jwtVerify (256 in flight)', () => jwtVerify(token, joseKey, joseOptions))

const ratio = results.joseJwtVerify / results.licetVerify
console.log(`jose / licet (sync verify): ${ratio.toFixed(2)}x  (target >= 4x)`)
console.log(
  JSON.stringify({
    node: process.versions.node,
    licet: licet.version,
    jose: JSON.parse(readFileSync(join(here, 'node_modules/jose/package.json'), 'utf8')).version,
    iterations,
    usPerToken: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Number(v.toFixed(2))])),
    ratioJoseOverLicet: Number(ratio.toFixed(2)),
  }),
)
