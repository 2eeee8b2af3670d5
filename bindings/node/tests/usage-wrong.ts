// Must NOT type-check (types.test.mjs expects tsc to fail on each marked line): proof that the
// declarations are strict, not `any`.
import { Status, TrustedKeys, verify } from 'licet'

const keys = new TrustedKeys()
verify('x', keys, { at: '2026-06-01' }) // error: at is a Date or a number
verify('x', keys, { prodcut: 'app' }) // error: unknown option
const report = verify(42, keys) // error: a license is a Buffer or a string
if (report.status === 'ACTIV') { } // error: not a status name
const n: number = Status.ACTIVE // error: a status is a string
keys.size = 3 // error: size is read-only
