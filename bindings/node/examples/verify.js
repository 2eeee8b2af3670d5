// Verifies a license file with the vendor's public key.
//   node verify.js VENDOR.pub.pem LICENSE.lic
const fs = require('node:fs')
const { TrustedKeys, verify } = require('licet')

const [keyFile, licenseFile] = process.argv.slice(2)
const keys = TrustedKeys.fromFiles(keyFile)
const report = verify(fs.readFileSync(licenseFile), keys, {
  // A fixed evaluation time, so that the example says the same every day; leave `at` out to
  // check against the clock. Other options: leeway, clockTolerance, machine, product.
  at: new Date('2026-06-01T00:00:00Z'),
})

console.log(`${report.status}: ${report.reason}`)
if (!report.valid) {
  process.exit(1) // a "no" verdict is a report, never an exception
}
const expires = report.expiresAt ? report.expiresAt.toISOString() : 'never'
console.log(`license ${report.licenseId} for ${report.customerId}, expires ${expires}`)
console.log(`features: ${JSON.stringify(report.claims.features ?? {})}`)
