// The stateful check: a state directory remembers the latest trustworthy time (a clock set back
// is CLOCK_ROLLBACK) and every revocation list accepted (a revocation sticks).
//   node stateful.js VENDOR.pub.pem LICENSE.lic STATE_DIR [REVOCATIONS.jwt]
const fs = require('node:fs')
const { Guard, TrustedKeys } = require('licet')

async function main() {
  const [keyFile, licenseFile, stateDir, listFile] = process.argv.slice(2)
  const keys = TrustedKeys.fromFiles(keyFile)
  const guard = new Guard(stateDir, keys, { clockTolerance: 3600, lockTimeout: 5 })
  const license = fs.readFileSync(licenseFile)
  const lists = listFile ? [{ source: listFile, data: fs.readFileSync(listFile) }] : []

  // Fixed evaluation times for the example; leave `at` out to check against the clock.
  const report = await guard.checkAsync(license, lists, { at: new Date('2026-06-01T00:00:00Z') })
  console.log(`${report.status}: ${report.reason}`)
  for (const list of report.lists) console.log(`  list ${list.source}: ${list.status}`)

  // The clock set back a day after that check: refused.
  const back = await guard.checkAsync(license, [], { at: new Date('2026-05-31T00:00:00Z') })
  console.log(`a day earlier: ${back.status}`)

  process.exitCode = report.passed && back.status === 'CLOCK_ROLLBACK' ? 0 : 1
}

main().catch((err) => {
  // Usage errors only (a key file that is not a key, a state that cannot be used): err.code.
  console.error(`licet: ${err.code}: ${err.message}`)
  process.exit(2)
})
