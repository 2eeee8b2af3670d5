// Paths and small helpers shared by the tests. The tests run against the installed package
// (`import ... from 'licet'` resolves to the packed tarball installed by ./test); LICET_ROOT is
// the repository, for the fixtures.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const root = process.env.LICET_ROOT
if (!root) {
  throw new Error('LICET_ROOT is not set: run the tests with bash bindings/node/test')
}

export const at = (path) => join(root, path)
export const read = (path) => readFileSync(at(path))

export const DEMO_KEY = 'keys/demo-ed25519.pub.pem'
export const DEMO_LICENSE = 'crates/verifier/testdata/demo.lic'
/** The evaluation time of the demo license's tests and examples. */
export const DEMO_AT = new Date('2026-06-01T00:00:00Z')

export const CONFORMANCE = 'fixtures/conformance'
export const conformance = (path) => read(join(CONFORMANCE, path))
