// Type-checked (tsc --noEmit, strict) against the installed package's index.d.ts by
// types.test.mjs: every part of the API, used as a TypeScript program would.
import { readFileSync } from 'node:fs'
import {
  Guard,
  ListStatus,
  Status,
  TrustedKeys,
  check,
  checkAsync,
  machineId,
  verify,
  verifyAsync,
  version,
} from 'licet'
import type {
  ErrorCode,
  GuardSettings,
  LicetError,
  ListReport,
  Report,
  RevocationList,
  StateErrorKind,
  VerifyOptions,
} from 'licet'

const keys: TrustedKeys = TrustedKeys.fromFiles(['vendor.pub.pem'])
keys.add(readFileSync('other.pub.pem'))
const added: number = keys.addFile('more.jwks')
const more = TrustedKeys.from([readFileSync('a.pem'), 'b'])
const fromOne = new TrustedKeys('pem text')
const count: number = keys.size + more.size + fromOne.size + added
const kids: string[] = keys.kids

const options: VerifyOptions = {
  at: new Date(),
  leeway: 60,
  clockTolerance: 3600,
  machine: 'ab'.repeat(32),
  product: 'app',
}
const audit: VerifyOptions = { at: 1_800_000_000, checkMachine: false }

const report: Report = verify(readFileSync('app.lic'), keys, options)
const status: Status = report.status
if (status === Status.ACTIVE || status === 'IN_GRACE' || status === Status.UNKNOWN) {
  const valid: boolean = report.valid && report.passed
  const when: Date | null = report.expiresAt ?? report.notBefore ?? report.issuedAt
  const ids: (string | null)[] = [report.licenseId, report.customerId, report.product, report.licenseType, report.kid, report.alg]
  const claims: Record<string, unknown> | null = report.claims
  console.log(valid, when, ids, claims?.features, report.reason, report.listsEnforced)
}

const lists: RevocationList[] = [{ source: 'revocations.jwt', data: readFileSync('revocations.jwt') }]
const checked: Report = check('license text', keys, lists, audit)
const entry: ListReport | undefined = checked.lists[0]
if (entry && entry.status === ListStatus.ACCEPTED) {
  const seq: number | null = entry.seq
  const issued: Date | null = entry.issuedAt
  console.log(entry.source, entry.reason, entry.kid, seq, issued, entry.entries)
}

const settings: GuardSettings = { clockTolerance: 3600, lockTimeout: 0.5 }
const guard: Guard = new Guard('/var/lib/app/licet', keys, settings)
const opened: Guard = Guard.open(guard.dir, keys)

async function main(): Promise<void> {
  const a: Report = await verifyAsync('x', keys)
  const b: Report = await checkAsync(Buffer.from('x'), keys, [], { at: 0 })
  const c: Report = await guard.checkAsync('x', lists, { product: 'app' })
  const d: Report = opened.check('x')
  const e: Report = opened.check('x', null, { at: new Date() })
  console.log(a, b, c, d, e)
  try {
    machineId()
  } catch (err) {
    const licetError = err as LicetError
    const code: ErrorCode = licetError.code
    const kind: StateErrorKind | undefined = licetError.stateError
    console.log(code, kind, licetError.message)
  }
}

const v: string = version
console.log(count, kids, v, main)
