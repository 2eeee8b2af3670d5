// The node `jose` side of scripts/bench-peers: time jwtVerify over every token.
// Usage: node bench_jose.mjs TOKENS_FILE PUB_PEM ALG ROUNDS   (run with jose installed beside it)
import { readFileSync } from "node:fs";
import { importSPKI, jwtVerify } from "jose";

const [tokensFile, pubFile, alg, roundsText] = process.argv.slice(2);
const tokens = readFileSync(tokensFile, "utf8").split("\n").filter(Boolean);
const key = await importSPKI(readFileSync(pubFile, "utf8"), alg);
const rounds = Number(roundsText);
const options = { algorithms: [alg], typ: "license+jwt" };
for (const t of tokens) await jwtVerify(t, key, options);
const started = process.hrtime.bigint();
for (let r = 0; r < rounds; r++) for (const t of tokens) await jwtVerify(t, key, options);
const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
console.log(JSON.stringify({ per_op_us: elapsedUs / (rounds * tokens.length) }));
