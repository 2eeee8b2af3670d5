// Writes the package's TypeScript declarations and loader from the type definitions napi-derive
// recorded while cargo compiled licet-node (NAPI_TYPE_DEF_TMP_FOLDER), with @napi-rs/cli's own
// generators: what `napi build --platform` does after its cargo step. ./build runs cargo itself
// so the addon builds in the workspace's target directory (napi build always passes --target,
// which would compile every dependency a second time under target/<triple>/).
//
//   node scripts/generate.mjs TYPEDEF_DIR DTS_OUT JS_OUT_DIR
import { generateTypeDef, readNapiConfig, writeJsBinding } from '@napi-rs/cli'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const [typeDefDir, dtsOut, jsOutDir] = process.argv.slice(2)
if (!typeDefDir || !dtsOut || !jsOutDir) {
  console.error('usage: node scripts/generate.mjs TYPEDEF_DIR DTS_OUT JS_OUT_DIR')
  process.exit(2)
}
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const config = await readNapiConfig(join(packageDir, 'package.json'))
const { exports, dts } = await generateTypeDef({
  typeDefDir,
  cwd: packageDir,
  configDtsHeaderFile: config.dtsHeaderFile,
  constEnum: config.constEnum,
  runtimeStringEnum: config.runtimeStringEnum,
  declareBindingTarget: true,
})
if (exports.length === 0) {
  console.error(`no exports in the type definitions under ${typeDefDir}: was licet-node compiled with NAPI_TYPE_DEF_TMP_FOLDER set?`)
  process.exit(1)
}
writeFileSync(dtsOut, dts)
await writeJsBinding({
  platform: true,
  idents: exports,
  binaryName: config.binaryName,
  packageName: config.packageName,
  version: config.packageJson.version,
  outputDir: jsOutDir,
})
