// A worker thread of concurrency.test.mjs: loads the addon in its own environment, verifies the
// jobs it is given (sync and async, its own keys), checks through a guard on a shared state
// directory, and posts the statuses back.
import { parentPort, workerData } from 'node:worker_threads'
import { readFileSync } from 'node:fs'
import { Guard, TrustedKeys, verify, verifyAsync } from 'licet'

const { jobs, keyFiles, guardKey, guardDir, guardLicense, guardAt } = workerData
const keys = TrustedKeys.fromFiles(keyFiles)
const licenses = jobs.map((job) => readFileSync(job.license))
const sync = jobs.map((job, i) => verify(licenses[i], keys, job.options).status)
const async = (await Promise.all(jobs.map((job, i) => verifyAsync(licenses[i], keys, job.options)))).map((r) => r.status)
const guard = new Guard(guardDir, TrustedKeys.fromFiles(guardKey))
const guarded = (
  await Promise.all(Array.from({ length: 10 }, () => guard.checkAsync(readFileSync(guardLicense), [], { at: guardAt })))
).map((r) => r.status)
parentPort.postMessage({ sync, async, guarded })
