package dev.licet.test;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.licet.Guard;
import dev.licet.KeyException;
import dev.licet.LeaseReport;
import dev.licet.Licet;
import dev.licet.LicetException;
import dev.licet.ListStatus;
import dev.licet.MachineIdException;
import dev.licet.Report;
import dev.licet.RevocationList;
import dev.licet.StateException;
import dev.licet.Status;
import dev.licet.TrustedKeys;
import dev.licet.VerifyOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The tests of the Java binding, run against licet.jar only (bindings/java/test): the
 * conformance corpus, the API and its error paths, threads, the panic boundary, the Cleaner.
 * Prints one line per test and a closing "java: N passed, N failed"; exits 1 on any failure.
 *
 * <p>System properties: {@code licet.repo} (the repository root, default "."),
 * {@code licet.expectedVersion} (the version the native library must report).
 */
public final class Main {
    private static final Instant EVAL = Instant.parse("2026-06-01T00:00:00Z");
    private static Path repo;

    private Main() {}

    interface Test {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        repo = Paths.get(System.getProperty("licet.repo", ".")).toAbsolutePath().normalize();
        Map<String, Test> tests = new LinkedHashMap<>();
        tests.put("conformance corpus", Main::conformance);
        tests.put("lease conformance corpus", Main::leaseConformance);
        tests.put("lease check: the API and its arguments", Main::leaseApi);
        tests.put("version", Main::version);
        tests.put("machine id", Main::machineId);
        tests.put("verify the demo license", Main::verifyDemo);
        tests.put("a no verdict is never an exception", Main::noVerdicts);
        tests.put("options", Main::options);
        tests.put("key errors", Main::keyErrors);
        tests.put("rollover statements", Main::rollovers);
        tests.put("machine id errors", Main::machineIdErrors);
        tests.put("null and range arguments", Main::arguments);
        tests.put("closed handles", Main::closedHandles);
        tests.put("forged handles and bad native arguments", Main::forgedHandles);
        tests.put("revocation lists without a state", Main::listsWithoutState);
        tests.put("a report with 40 revocation lists (JNI local references)", Main::manyLists);
        tests.put("key and list files: regular files only, bounded", Main::filesBounded);
        tests.put("guard: clock set back, state kept", Main::guardClock);
        tests.put("guard: state errors", Main::guardStateErrors);
        tests.put("guard: busy state", Main::guardBusy);
        tests.put("unknown statuses", Main::unknownStatuses);
        tests.put("a panic is an exception, not a crash", Main::panicBoundary);
        tests.put("threads share one TrustedKeys", Main::threadsShareKeys);
        tests.put("threads share one Guard", Main::threadsShareGuard);
        tests.put("close while other threads verify", Main::closeWhileVerifying);
        tests.put("the Cleaner frees unclosed handles", Main::cleaner);

        int passed = 0;
        int failed = 0;
        for (Map.Entry<String, Test> test : tests.entrySet()) {
            long started = System.nanoTime();
            try {
                test.getValue().run();
                passed++;
                System.out.printf("ok   %s (%d ms)%n", test.getKey(),
                        (System.nanoTime() - started) / 1_000_000);
            } catch (Throwable e) {
                failed++;
                System.out.println("FAIL " + test.getKey() + ": " + e);
                e.printStackTrace(System.out);
            }
        }
        System.out.println("java: " + passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    // ---- helpers

    static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    static void equal(Object expected, Object got, String what) {
        if (expected == null ? got != null : !expected.equals(got)) {
            throw new AssertionError(what + ": expected " + expected + ", got " + got);
        }
    }

    @SuppressWarnings("unchecked")
    static <E extends Throwable> E expect(Class<E> type, Test body) throws Exception {
        try {
            body.run();
        } catch (Throwable e) {
            Throwable thrown = e instanceof InvocationTargetException ? e.getCause() : e;
            if (type.isInstance(thrown)) {
                return (E) thrown;
            }
            throw new AssertionError("expected " + type.getSimpleName() + ", got " + thrown,
                    thrown);
        }
        throw new AssertionError("expected " + type.getSimpleName() + ", nothing thrown");
    }

    static void contains(String text, String part, String what) {
        check(text != null && text.contains(part), what + ": " + text + " does not contain " + part);
    }

    static Path demoKey() {
        return repo.resolve("keys/demo-ed25519.pub.pem");
    }

    static byte[] demoLicense() throws IOException {
        return Files.readAllBytes(repo.resolve("crates/verifier/testdata/demo.lic"));
    }

    static Path conformance(String relative) {
        return repo.resolve("fixtures/conformance").resolve(relative);
    }

    static VerifyOptions at(Instant t) {
        return VerifyOptions.builder().at(t).build();
    }

    static Object callNative(String method, Class<?>[] types, Object... args) throws Exception {
        Method m = Class.forName("dev.licet.Native").getDeclaredMethod(method, types);
        m.setAccessible(true);
        return m.invoke(null, args);
    }

    static long liveHandles() throws Exception {
        return (Long) callNative("liveHandles", new Class<?>[0]);
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temporary directory
        }
    }

    // ---- tests

    static void conformance() throws Exception {
        String override = System.getenv("LICET_CONFORMANCE_CASES");
        Path cases = override != null && !override.isEmpty() ? Paths.get(override)
                : conformance("cases.json");
        List<String> failures = Conformance.run(cases);
        for (String f : failures) {
            System.out.println("  " + f);
        }
        check(failures.isEmpty(), "the conformance run failed (" + failures.size() + " problem(s), listed above)");
    }

    static void leaseConformance() throws Exception {
        String override = System.getenv("LICET_CONFORMANCE_LEASES");
        Path cases = override != null && !override.isEmpty() ? Paths.get(override)
                : conformance("leases.json");
        List<String> failures = Conformance.runLeases(cases);
        for (String f : failures) {
            System.out.println("  " + f);
        }
        check(failures.isEmpty(), "the lease conformance run failed (" + failures.size() + " problem(s), listed above)");
    }

    static void leaseApi() throws Exception {
        byte[] lease = Files.readAllBytes(conformance("leases/valid.jwt"));
        byte[] pool = Files.readAllBytes(conformance("leases/pool.lic"));
        Instant at = Instant.ofEpochSecond(1798761600L);
        String machine = "57b4ededd7060cf76633d6d73b900c9f529d083bc865cc597f5fe774121ae128";
        try (TrustedKeys keys = TrustedKeys.fromFiles(conformance("keys/ed25519.pub.pem"))) {
            VerifyOptions options = VerifyOptions.builder().at(at).machine(machine).build();
            LeaseReport ok = Licet.verifyLease(lease, pool, keys, options);
            check(ok.valid() && ok.passed() && ok.status() == Status.ACTIVE, "valid lease: " + ok);
            check(!ok.part().isPresent(), "no failed part: " + ok);
            equal(Status.ACTIVE, ok.pool().status(), "the pool's own status");
            equal("POOL", ok.pool().licenseType().orElseThrow(), "the pool's type");
            JsonObject json = JsonParser.parseString(ok.toJson()).getAsJsonObject();
            equal("ACTIVE", json.get("status").getAsString(), "toJson status");
            // The pool license is not a license for the product: the product's own check refuses it.
            Report asLicense = Licet.verify(pool, keys, VerifyOptions.builder().at(at)
                    .machine(machine).build());
            equal(Status.WRONG_PRODUCT, asLicense.status(), "a pool license as the product's license");
            // Another machine's check of this lease.
            LeaseReport other = Licet.verifyLease(lease, pool, keys, VerifyOptions.builder().at(at)
                    .machine("00" + machine.substring(2)).build());
            equal(Status.MACHINE_MISMATCH, other.status(), "another machine");
            equal("lease", other.part().orElse(null), "the failed part");
            // The lease and pool swapped: the lease given as the pool is not a license file.
            LeaseReport swapped = Licet.verifyLease(pool, lease, keys, options);
            check(!swapped.valid() && "pool".equals(swapped.part().orElse(null)), "swapped: " + swapped);
            expect(NullPointerException.class, () -> Licet.verifyLease(null, pool, keys, options));
            expect(NullPointerException.class, () -> Licet.verifyLease(lease, null, keys, options));
            expect(NullPointerException.class,
                    () -> Licet.checkLease(lease, pool, keys, null, options));
        }
        TrustedKeys closed = TrustedKeys.fromFiles(conformance("keys/ed25519.pub.pem"));
        closed.close();
        expect(IllegalStateException.class, () -> Licet.verifyLease(lease, pool, closed,
                VerifyOptions.defaults()));
    }

    static void version() {
        String version = Licet.version();
        check(Pattern.matches("\\d+\\.\\d+\\.\\d+([-+].*)?", version), "version " + version);
        String expected = System.getProperty("licet.expectedVersion");
        if (expected != null) {
            equal(expected, version, "version");
        }
    }

    static void machineId() throws Exception {
        String id;
        try {
            id = Licet.machineId();
        } catch (MachineIdException e) {
            equal(LicetException.Code.MACHINE_ID, e.code(), "code");
            System.out.println("  (no machine identifier here: " + e.getMessage() + ")");
            return;
        }
        check(Pattern.matches("[0-9a-f]{64}", id), "machine id " + id);
        Path etc = Paths.get("/etc/machine-id");
        if (Files.isReadable(etc)) {
            String raw = new String(Files.readAllBytes(etc), StandardCharsets.UTF_8).trim();
            if (!raw.isEmpty()) {
                byte[] digest = MessageDigest.getInstance("SHA-256")
                        .digest(raw.getBytes(StandardCharsets.UTF_8));
                StringBuilder hex = new StringBuilder();
                for (byte b : digest) {
                    hex.append(String.format("%02x", b));
                }
                equal(hex.toString(), id, "machine id is SHA-256 of /etc/machine-id");
            }
        }
        // This machine's id as the option: the same verdict as the default.
        try (TrustedKeys keys = TrustedKeys.fromFiles(conformance("keys/ed25519.pub.pem"))) {
            byte[] locked = Files.readAllBytes(conformance("licenses/node-locked.lic"));
            Instant t = Instant.ofEpochSecond(1798761600L);
            Report mine = Licet.verify(locked, keys, at(t));
            Report given = Licet.verify(locked, keys,
                    VerifyOptions.builder().at(t).machine(id).build());
            equal(mine.status(), given.status(), "this machine vs its id given");
            Report unchecked = Licet.verify(locked, keys,
                    VerifyOptions.builder().at(t).noMachineCheck().build());
            equal(Status.ACTIVE, unchecked.status(), "no machine check");
        }
    }

    static void verifyDemo() throws Exception {
        try (TrustedKeys keys = TrustedKeys.fromFiles(demoKey())) {
            equal(1, keys.size(), "size");
            Report r = Licet.verify(demoLicense(), keys, at(EVAL));
            equal(Status.ACTIVE, r.status(), "status");
            equal("ACTIVE", r.statusName(), "status name");
            check(r.valid() && r.passed() && r.verified(), "valid, passed, verified");
            contains(r.reason(), "valid until 2031-01-01", "reason");
            equal("00000000-0000-4000-8000-000000000001", r.licenseId().orElse(null), "jti");
            equal("ACME-001", r.customerId().orElse(null), "sub");
            equal("example-product", r.product().orElse(null), "aud");
            equal("STANDARD", r.licenseType().orElse(null), "license_type");
            equal(Instant.ofEpochSecond(1767225600L), r.issuedAt().orElse(null), "iat");
            equal(Instant.ofEpochSecond(1924992000L), r.expiresAt().orElse(null), "exp");
            check(r.notBefore().isEmpty(), "no nbf");
            equal("EdDSA", r.alg().orElse(null), "alg");
            equal("6hxAd0L5CqbugwZjDRmQcCFAN2ylZaaQ7HTwCCmwHwg", r.kid().orElse(null), "kid");
            check(r.lists().isEmpty() && r.listsEnforced() == 0, "no lists");
            JsonObject claims = JsonParser.parseString(r.claimsJson().orElseThrow())
                    .getAsJsonObject();
            equal("Demo Vendor", claims.get("iss").getAsString(), "claims iss");
            equal(10, claims.getAsJsonObject("features").get("seats").getAsInt(), "features");
            equal(1924992000L, claims.get("exp").getAsLong(), "claims exp");
            // The same license as text, and with the product required.
            String text = new String(demoLicense(), StandardCharsets.UTF_8);
            equal(Status.ACTIVE, Licet.verify(text, keys, at(EVAL)).status(), "as text");
            equal(Status.ACTIVE, Licet.verify(demoLicense(), keys, VerifyOptions.builder()
                    .at(EVAL).product("example-product").build()).status(), "product");
            // Without options: now (the demo license runs until 2031).
            Report now = Licet.verify(demoLicense(), keys);
            check(now.verified(), "verified now: " + now);
            check(r.toString().contains("ACTIVE"), "toString");
        }
    }

    static void noVerdicts() throws Exception {
        try (TrustedKeys keys = TrustedKeys.fromFiles(demoKey());
                TrustedKeys rsa = TrustedKeys.fromFiles(repo.resolve("keys/demo-rsa2048.pub.pem"))) {
            Report expired = Licet.verify(demoLicense(), keys, at(Instant.parse("2031-06-01T00:00:00Z")));
            equal(Status.EXPIRED, expired.status(), "expired");
            check(!expired.valid() && !expired.passed() && expired.verified(), "expired, verified");
            equal("ACME-001", expired.customerId().orElse(null), "expired still has claims");

            Report wrongProduct = Licet.verify(demoLicense(), keys,
                    VerifyOptions.builder().at(EVAL).product("another").build());
            equal(Status.WRONG_PRODUCT, wrongProduct.status(), "wrong product");
            contains(wrongProduct.reason(), "another", "reason names the product");

            Report unknown = Licet.verify(demoLicense(), rsa, at(EVAL));
            equal(Status.UNKNOWN_KEY, unknown.status(), "unknown key");
            check(!unknown.verified() && unknown.claimsJson().isEmpty()
                    && unknown.licenseId().isEmpty() && unknown.issuedAt().isEmpty(),
                    "no claims without a verified signature");
            equal("6hxAd0L5CqbugwZjDRmQcCFAN2ylZaaQ7HTwCCmwHwg", unknown.kid().orElse(null),
                    "the header's kid");

            for (byte[] bad : new byte[][] {new byte[0], "garbage".getBytes(StandardCharsets.UTF_8),
                    new byte[] {(byte) 0xff, 0, (byte) 0xfe}, new byte[70 * 1024],
                    Files.readAllBytes(demoKey())}) {
                Report r = Licet.verify(bad, keys, at(EVAL));
                equal(Status.MALFORMED, r.status(), "malformed input of " + bad.length + " bytes");
                check(!r.valid() && !r.verified(), "not valid");
            }
            Report tampered = Licet.verify(
                    Files.readAllBytes(conformance("licenses/payload-changed.lic")),
                    TrustedKeys.fromFiles(conformance("keys/ed25519.pub.pem")), at(EVAL));
            equal(Status.BAD_SIGNATURE, tampered.status(), "payload changed");
        }
    }

    static void options() {
        VerifyOptions d = VerifyOptions.defaults();
        check(d.at().isEmpty() && d.leeway().isZero() && d.clockTolerance().isEmpty()
                && d.machine().isEmpty() && d.machineChecked() && d.product().isEmpty(), "defaults " + d);
        String upper = "  " + "AB".repeat(32) + " ";
        VerifyOptions o = VerifyOptions.builder().at(EVAL).leeway(Duration.ofMinutes(5))
                .clockTolerance(60).machine(upper).product("p").build();
        equal("ab".repeat(32), o.machine().orElse(null), "machine id normalised");
        equal(Duration.ofSeconds(300), o.leeway(), "leeway");
        equal(Duration.ofSeconds(60), o.clockTolerance().orElse(null), "tolerance");
        equal(EVAL, o.at().orElse(null), "at");
        equal("p", o.product().orElse(null), "product");
        VerifyOptions n = VerifyOptions.builder().machine("ab".repeat(32)).noMachineCheck().build();
        check(!n.machineChecked() && n.machine().isEmpty(), "no machine check");
        check(VerifyOptions.builder().leeway(0xFFFF_FFFFL).build().leeway().getSeconds()
                == 0xFFFF_FFFFL, "largest leeway");
    }

    static void keyErrors() throws Exception {
        KeyException notKey = expect(KeyException.class, () -> TrustedKeys.fromString("not a key"));
        equal(LicetException.Code.KEY, notKey.code(), "code");
        contains(notKey.getMessage(), "the key: not a public key", "message");

        Path privateKey = repo.resolve("keys/demo-ed25519.key.pem");
        KeyException priv = expect(KeyException.class, () -> TrustedKeys.fromFiles(privateKey));
        equal(LicetException.Code.KEY, priv.code(), "code");
        contains(priv.getMessage(), privateKey.toString(), "names the file");
        contains(priv.getMessage(), "private key", "says private key");

        Path missing = repo.resolve("keys/no-such-key.pem");
        KeyException none = expect(KeyException.class, () -> TrustedKeys.fromFiles(demoKey(), missing));
        equal(LicetException.Code.KEY_FILE, none.code(), "code");
        contains(none.getMessage(), missing.toString(), "names the file");
        contains(none.getMessage(), "no such file", "says why");

        KeyException dir = expect(KeyException.class, () -> TrustedKeys.fromFiles(repo.resolve("keys")));
        equal(LicetException.Code.KEY_FILE, dir.code(), "a directory");

        KeyException second = expect(KeyException.class,
                () -> TrustedKeys.fromBytes(Files.readAllBytes(demoKey()), new byte[] {1, 2, 3}));
        contains(second.getMessage(), "key input 2", "names the input");

        expect(IllegalArgumentException.class, () -> TrustedKeys.fromFiles());
        expect(IllegalArgumentException.class, () -> TrustedKeys.fromBytes());

        try (TrustedKeys two = TrustedKeys.fromFiles(demoKey(), repo.resolve("keys/demo-rsa2048.pub.pem"));
                TrustedKeys jwks = TrustedKeys.fromFiles(conformance("keys/both.jwks"));
                TrustedKeys jwk = TrustedKeys.fromString(new String(
                        Files.readAllBytes(conformance("keys/ed25519.jwk")), StandardCharsets.UTF_8))) {
            equal(2, two.size(), "two files add up");
            check(jwks.size() >= 2, "a JWKS holds several keys: " + jwks.size());
            equal(1, jwk.size(), "a JWK");
            equal(Status.ACTIVE, Licet.verify(demoLicense(), two, at(EVAL)).status(), "both files");
        }
    }

    static void rollovers() throws Exception {
        Path statement = conformance("keys/ed25519-to-successor.rollover.jwt");
        try (TrustedKeys given = TrustedKeys.fromFiles(demoKey());
                TrustedKeys moved = given.withRolloverFiles(java.util.List.of(statement))) {
            equal(1, given.size(), "the set given is unchanged");
            equal(2, moved.size(), "the successor is added");
            KeyException twice = expect(KeyException.class,
                    () -> moved.withRollovers(Files.readAllBytes(statement)));
            equal(LicetException.Code.KEY, twice.code(), "code");
            contains(twice.getMessage(), "was refused", "message");
            contains(twice.getMessage(), "trusted already", "says why");
        }
        try (TrustedKeys stranger = TrustedKeys.fromFiles(conformance("keys/stranger.pub.pem"))) {
            KeyException unsigned = expect(KeyException.class,
                    () -> stranger.withRolloverFiles(java.util.List.of(statement)));
            contains(unsigned.getMessage(), statement.toString(), "names the file");
        }
    }

    static void machineIdErrors() throws Exception {
        MachineIdException bad = expect(MachineIdException.class,
                () -> VerifyOptions.builder().machine("xyz"));
        equal(LicetException.Code.MACHINE_ID, bad.code(), "code");
        contains(bad.getMessage(), "`xyz`", "quotes the text");
        contains(bad.getMessage(), "64 hexadecimal", "says what is expected");
        expect(MachineIdException.class, () -> VerifyOptions.builder().machine("g".repeat(64)));
        expect(MachineIdException.class, () -> VerifyOptions.builder().machine("ab".repeat(33)));
        expect(MachineIdException.class, () -> VerifyOptions.builder().machine(""));
    }

    static void arguments() throws Exception {
        try (TrustedKeys keys = TrustedKeys.fromFiles(demoKey())) {
            expect(NullPointerException.class, () -> Licet.verify((byte[]) null, keys, at(EVAL)));
            expect(NullPointerException.class, () -> Licet.verify(demoLicense(), null, at(EVAL)));
            expect(NullPointerException.class, () -> Licet.verify(demoLicense(), keys, null));
            expect(NullPointerException.class, () -> Licet.check(demoLicense(), keys, null, at(EVAL)));
            List<RevocationList> withNull = new ArrayList<>();
            withNull.add(null);
            expect(NullPointerException.class, () -> Licet.check(demoLicense(), keys, withNull, at(EVAL)));
            expect(NullPointerException.class, () -> TrustedKeys.fromFiles((Path) null));
            expect(NullPointerException.class, () -> TrustedKeys.fromBytes((byte[]) null));
            expect(NullPointerException.class, () -> VerifyOptions.builder().at(null));
            expect(NullPointerException.class, () -> Guard.open(null, keys));
        }
        expect(IllegalArgumentException.class, () -> VerifyOptions.builder().leeway(-1));
        expect(IllegalArgumentException.class, () -> VerifyOptions.builder().leeway(1L << 32));
        expect(IllegalArgumentException.class,
                () -> VerifyOptions.builder().leeway(Duration.ofSeconds(-5)));
        IllegalArgumentException tolerance = expect(IllegalArgumentException.class,
                () -> VerifyOptions.builder().clockTolerance(Duration.ofDays(100_000)));
        contains(tolerance.getMessage(), "clock tolerance", "names the option");
        // An evaluation time the verifier does not accept: an exception, not a verdict.
        try (TrustedKeys keys = TrustedKeys.fromFiles(demoKey())) {
            for (Instant far : new Instant[] {Instant.MAX, Instant.MIN}) {
                IllegalArgumentException e = expect(IllegalArgumentException.class,
                        () -> Licet.verify(demoLicense(), keys, at(far)));
                contains(e.getMessage(), "evaluation time", "names the time");
            }
            LicetException io = expect(LicetException.class,
                    () -> RevocationList.fromFile(repo.resolve("no-such-list.jwt")));
            equal(LicetException.Code.IO, io.code(), "list file code");
            contains(io.getMessage(), "no-such-list.jwt", "names the file");
        }
    }

    static void closedHandles() throws Exception {
        TrustedKeys keys = TrustedKeys.fromFiles(demoKey());
        Path dir = Files.createTempDirectory("licet-java-closed-");
        try {
            Guard guard = Guard.open(dir, keys);
            keys.close();
            keys.close(); // idempotent
            IllegalStateException closed = expect(IllegalStateException.class,
                    () -> Licet.verify(demoLicense(), keys, at(EVAL)));
            contains(closed.getMessage(), "TrustedKeys is closed", "message");
            check(keys.toString().contains("closed"), "toString says closed");
            expect(IllegalStateException.class, () -> Guard.open(dir, keys));
            // The guard kept its own copy of the keys.
            equal(Status.ACTIVE, guard.check(demoLicense(), List.of(), at(EVAL)).status(),
                    "guard after its keys were closed");
            guard.close();
            guard.close();
            expect(IllegalStateException.class, () -> guard.check(demoLicense()));
        } finally {
            deleteTree(dir);
        }
    }

    static void forgedHandles() throws Exception {
        Class<?>[] verifyTypes = {byte[].class, long.class, boolean.class, long.class, long.class,
                long.class, int.class, String.class, String.class};
        for (long forged : new long[] {0, -1, 123_456_789, Long.MAX_VALUE, Long.MIN_VALUE}) {
            expect(IllegalStateException.class, () -> callNative("verify", verifyTypes,
                    demoLicense(), forged, true, 0L, 0L, -1L, 0, null, null));
        }
        try (TrustedKeys keys = TrustedKeys.fromFiles(demoKey())) {
            Method handle = TrustedKeys.class.getDeclaredMethod("handle");
            handle.setAccessible(true);
            long id = (Long) handle.invoke(keys);
            // What the Java API rules out, straight into the native side: exceptions, no crash.
            expect(NullPointerException.class, () -> callNative("verify", verifyTypes,
                    null, id, true, 0L, 0L, -1L, 0, null, null));
            expect(IllegalArgumentException.class, () -> callNative("verify", verifyTypes,
                    demoLicense(), id, true, 0L, -5L, -1L, 0, null, null));
            expect(IllegalArgumentException.class, () -> callNative("verify", verifyTypes,
                    demoLicense(), id, true, 0L, 0L, -1L, 7, null, null));
            expect(NullPointerException.class, () -> callNative("verify", verifyTypes,
                    demoLicense(), id, true, 0L, 0L, -1L, 1, null, null));
            expect(NullPointerException.class, () -> callNative("keysNew",
                    new Class<?>[] {byte[][].class, String[].class},
                    new byte[][] {null}, new String[] {"x"}));
            expect(IllegalArgumentException.class, () -> callNative("keysNew",
                    new Class<?>[] {byte[][].class, String[].class},
                    new byte[][] {Files.readAllBytes(demoKey())}, new String[0]));
            Class<?>[] checkTypes = {byte[].class, long.class, String[].class, byte[][].class,
                    boolean.class, long.class, long.class, long.class, int.class, String.class,
                    String.class};
            expect(IllegalArgumentException.class, () -> callNative("check", checkTypes,
                    demoLicense(), id, new String[] {"a"}, new byte[0][], true, 0L, 0L, -1L, 0,
                    null, null));
        }
        Class<?>[] guardCheckTypes = {long.class, byte[].class, String[].class, byte[][].class,
                boolean.class, long.class, long.class, int.class, String.class, String.class};
        expect(IllegalStateException.class, () -> callNative("guardCheck", guardCheckTypes,
                42L, demoLicense(), new String[0], new byte[0][], false, 0L, 0L, 0, null, null));
        callNative("keysFree", new Class<?>[] {long.class}, 987_654_321L); // nothing to free: fine
        callNative("guardFree", new Class<?>[] {long.class}, -3L);
    }

    static void listsWithoutState() throws Exception {
        try (TrustedKeys keys = TrustedKeys.fromFiles(conformance("keys/ed25519.pub.pem"))) {
            byte[] revoked = Files.readAllBytes(conformance("licenses/revoked.lic"));
            RevocationList good = RevocationList.fromFile(conformance("lists/revokes-conf-revoked.jwt"));
            RevocationList tampered = RevocationList.of("my-tampered-list",
                    Files.readAllBytes(conformance("lists/tampered.jwt")));
            Instant t = Instant.ofEpochSecond(1798761600L);
            Report r = Licet.check(revoked, keys, List.of(good, tampered), at(t));
            equal(Status.REVOKED, r.status(), "revoked");
            check(!r.valid() && !r.passed() && r.verified(), "not valid");
            equal(2, r.lists().size(), "two list reports");
            equal(good.source(), r.lists().get(0).source(), "source");
            equal(ListStatus.ACCEPTED, r.lists().get(0).status(), "accepted");
            check(r.lists().get(0).accepted() && r.lists().get(0).kid().isPresent(), "kid");
            equal("my-tampered-list", r.lists().get(1).source(), "source of the second");
            check(!r.lists().get(1).accepted(), "tampered refused: " + r.lists().get(1));
            check(!r.lists().get(1).reason().isEmpty(), "a reason");
            equal(1, r.listsEnforced(), "one list enforced");
            Report without = Licet.check(revoked, keys, List.of(), at(t));
            check(without.valid() && without.passed(), "valid without the list: " + without);
            Report refusedOnly = Licet.check(revoked, keys, List.of(tampered), at(t));
            check(refusedOnly.valid() && !refusedOnly.passed(), "a refused list fails passed()");
        }
    }

    static void manyLists() throws Exception {
        // 40 lists: each list report takes JNI local references; the JVM guarantees 16, and
        // -Xcheck:jni (bindings/java/test) warns, failing the run, when the native side keeps more.
        try (TrustedKeys keys = TrustedKeys.fromFiles(conformance("keys/ed25519.pub.pem"))) {
            byte[] revoked = Files.readAllBytes(conformance("licenses/revoked.lic"));
            byte[] good = Files.readAllBytes(conformance("lists/revokes-conf-revoked.jwt"));
            List<RevocationList> lists = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                lists.add(RevocationList.of("list-" + i, good));
            }
            Instant t = Instant.ofEpochSecond(1798761600L);
            Report r = Licet.check(revoked, keys, lists, at(t));
            equal(Status.REVOKED, r.status(), "revoked");
            equal(40, r.lists().size(), "40 list reports");
            for (int i = 0; i < 40; i++) {
                equal("list-" + i, r.lists().get(i).source(), "source " + i);
                equal(ListStatus.ACCEPTED, r.lists().get(i).status(), "status " + i);
                check(r.lists().get(i).kid().isPresent(), "kid " + i);
            }
            Path dir = Files.createTempDirectory("licet-java-many-");
            try (Guard guard = Guard.open(dir, keys)) {
                Report g = guard.check(revoked, lists, at(t));
                equal(40, g.lists().size(), "40 list reports from the guard");
            } finally {
                deleteTree(dir);
            }
        }
    }

    /** Runs {@code body} on another thread; fails if it takes longer than 10 s (a hang). */
    static <T> T within10s(Callable<T> body) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "licet-fifo-test");
            thread.setDaemon(true); // a hung read must not keep the JVM alive
            return thread;
        });
        try {
            Future<T> result = pool.submit(body);
            try {
                return result.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception) {
                    throw (Exception) cause;
                }
                throw e;
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("still reading after 10 s: it hangs", e);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static void filesBounded() throws Exception {
        Path dir = Files.createTempDirectory("licet-java-files-");
        try {
            Path fifo = dir.resolve("fifo");
            Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
            equal(0, mkfifo.waitFor(), "mkfifo exit code");
            KeyException keyFifo = expect(KeyException.class,
                    () -> within10s(() -> TrustedKeys.fromFiles(fifo)));
            equal(LicetException.Code.KEY_FILE, keyFifo.code(), "a FIFO key file");
            contains(keyFifo.getMessage(), fifo.toString(), "names the FIFO");
            contains(keyFifo.getMessage(), "not a regular file (a FIFO)", "says why");
            LicetException listFifo = expect(LicetException.class,
                    () -> within10s(() -> RevocationList.fromFile(fifo)));
            equal(LicetException.Code.IO, listFifo.code(), "a FIFO list");
            contains(listFifo.getMessage(), "the revocation list " + fifo, "names the FIFO");
            contains(listFifo.getMessage(), "not a regular file (a FIFO)", "says why");

            // A device: /dev/zero would fill the memory if it were read to the end.
            KeyException zero = expect(KeyException.class,
                    () -> within10s(() -> TrustedKeys.fromFiles(Paths.get("/dev/zero"))));
            equal(LicetException.Code.KEY_FILE, zero.code(), "/dev/zero as a key file");
            contains(zero.getMessage(), "not a regular file", "/dev/zero: says why");
            LicetException zeroList = expect(LicetException.class,
                    () -> within10s(() -> RevocationList.fromFile(Paths.get("/dev/zero"))));
            equal(LicetException.Code.IO, zeroList.code(), "/dev/zero as a list");

            LicetException listDir = expect(LicetException.class, () -> RevocationList.fromFile(dir));
            equal(LicetException.Code.IO, listDir.code(), "a directory as a list");
            contains(listDir.getMessage(), "not a regular file (a directory)", "a directory: says why");
            KeyException keyDir = expect(KeyException.class, () -> TrustedKeys.fromFiles(dir));
            contains(keyDir.getMessage(), "not a regular file (a directory)", "a directory: says why");

            // Over the limits: 1 MiB for a key file, 8 MiB for a revocation list.
            Path bigKey = dir.resolve("big.pem");
            byte[] pem = Files.readAllBytes(demoKey());
            byte[] big = new byte[1024 * 1024 + 1];
            java.util.Arrays.fill(big, (byte) '\n');
            System.arraycopy(pem, 0, big, 0, pem.length);
            Files.write(bigKey, big);
            KeyException tooBig = expect(KeyException.class, () -> TrustedKeys.fromFiles(bigKey));
            equal(LicetException.Code.KEY_FILE, tooBig.code(), "a key file over 1 MiB");
            contains(tooBig.getMessage(), bigKey.toString(), "names the file");
            contains(tooBig.getMessage(), "larger than 1048576 bytes", "says why");
            Path exact = dir.resolve("exact.pem");
            Files.write(exact, java.util.Arrays.copyOf(big, 1024 * 1024));
            try (TrustedKeys keys = TrustedKeys.fromFiles(exact)) {
                equal(1, keys.size(), "a key file of exactly 1 MiB");
            }
            Path bigList = dir.resolve("big.jwt");
            Files.write(bigList, new byte[8 * 1024 * 1024 + 1]);
            LicetException listTooBig = expect(LicetException.class,
                    () -> RevocationList.fromFile(bigList));
            equal(LicetException.Code.IO, listTooBig.code(), "a list over 8 MiB");
            contains(listTooBig.getMessage(), "larger than 8388608 bytes", "says why");
            RevocationList read = RevocationList.fromFile(conformance("lists/revokes-conf-revoked.jwt"));
            equal(Files.size(conformance("lists/revokes-conf-revoked.jwt")), (long) read.bytes().length,
                    "a list is read whole");
        } finally {
            deleteTree(dir);
        }
    }

    static void guardClock() throws Exception {
        Path dir = Files.createTempDirectory("licet-java-guard-");
        try (TrustedKeys keys = TrustedKeys.fromFiles(demoKey())) {
            try (Guard guard = Guard.open(dir, keys)) {
                equal(dir, guard.stateDir(), "state dir");
                Report first = guard.check(demoLicense(), List.of(), at(EVAL));
                equal(Status.ACTIVE, first.status(), "first check");
                Report back = guard.check(demoLicense(), List.of(),
                        at(Instant.parse("2026-05-01T00:00:00Z")));
                equal(Status.CLOCK_ROLLBACK, back.status(), "clock set back a month");
                check(!back.valid() && back.verified(), "rollback: verified, not valid");
                contains(back.reason(), "set back", "reason");
            }
            check(Files.exists(dir.resolve("state.json")), "state.json written");
            // A new guard on the same directory remembers.
            try (Guard again = Guard.open(dir, keys, Duration.ofDays(60), Duration.ofSeconds(1))) {
                equal(Status.ACTIVE, again.check(demoLicense(), List.of(),
                        at(Instant.parse("2026-05-01T00:00:00Z"))).status(),
                        "within a 60-day tolerance");
                equal(Status.CLOCK_ROLLBACK, again.check(demoLicense(), List.of(),
                        at(Instant.parse("2026-01-01T00:00:00Z"))).status(), "beyond it");
            }
        } finally {
            deleteTree(dir);
        }
    }

    static void guardStateErrors() throws Exception {
        Path base = Files.createTempDirectory("licet-java-state-");
        try (TrustedKeys keys = TrustedKeys.fromFiles(demoKey())) {
            Path corrupt = Files.createDirectory(base.resolve("corrupt"));
            Files.write(corrupt.resolve("state.json"), "not json".getBytes(StandardCharsets.UTF_8));
            StateException c = expect(StateException.class, () -> Guard.open(corrupt, keys));
            equal(LicetException.Code.STATE_CORRUPT, c.code(), "corrupt");
            contains(c.getMessage(), "state.json", "names the file");

            Path newer = Files.createDirectory(base.resolve("newer"));
            Files.write(newer.resolve("state.json"),
                    "{\"version\": 999}".getBytes(StandardCharsets.UTF_8));
            StateException n = expect(StateException.class, () -> Guard.open(newer, keys));
            equal(LicetException.Code.STATE_NEWER_VERSION, n.code(), "newer: " + n.getMessage());

            Path file = Files.write(base.resolve("a-file"), new byte[] {1});
            StateException f = expect(StateException.class, () -> Guard.open(file, keys));
            equal(LicetException.Code.STATE_IO, f.code(), "a file, not a directory");
            contains(f.getMessage(), file.toString(), "names the path");

            // Corrupted after opening: the check throws, it does not return a verdict.
            Path later = Files.createDirectory(base.resolve("later"));
            try (Guard guard = Guard.open(later, keys)) {
                guard.check(demoLicense(), List.of(), at(EVAL));
                Files.write(later.resolve("state.json"), "{".getBytes(StandardCharsets.UTF_8));
                StateException l = expect(StateException.class,
                        () -> guard.check(demoLicense(), List.of(), at(EVAL)));
                equal(LicetException.Code.STATE_CORRUPT, l.code(), "corrupted later");
            }
            expect(IllegalArgumentException.class,
                    () -> Guard.open(base.resolve("x"), keys, null, Duration.ofSeconds(-1)));
        } finally {
            deleteTree(base);
        }
    }

    static void guardBusy() throws Exception {
        Path dir = Files.createTempDirectory("licet-java-busy-");
        Process holder = null;
        try (TrustedKeys keys = TrustedKeys.fromFiles(demoKey());
                Guard guard = Guard.open(dir, keys, null, Duration.ofMillis(300))) {
            // Another process holds the state's lock (flock(2), as licet takes it).
            // -o: the command does not inherit the lock, so ending flock releases it.
            holder = new ProcessBuilder("flock", "-o", dir.resolve("state.lock").toString(), "-c",
                    "echo locked; exec sleep 20").redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(
                    new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            equal("locked", out.readLine(), "the flock helper took the lock");
            long started = System.nanoTime();
            StateException busy = expect(StateException.class,
                    () -> guard.check(demoLicense(), List.of(), at(EVAL)));
            long waited = (System.nanoTime() - started) / 1_000_000;
            equal(LicetException.Code.STATE_BUSY, busy.code(), "busy");
            contains(busy.getMessage(), "locked by another check", "message");
            check(waited >= 250 && waited < 5000, "waited about the lock timeout: " + waited + " ms");
            stop(holder);
            equal(Status.ACTIVE, guard.check(demoLicense(), List.of(), at(EVAL)).status(),
                    "after the lock is released");
        } finally {
            if (holder != null) {
                stop(holder);
            }
            deleteTree(dir);
        }
    }

    static void stop(Process process) throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
    }

    static void unknownStatuses() throws Exception {
        equal(Status.UNKNOWN, Status.fromName("KEY_RETIRED_IN_2040"), "unknown status");
        equal(Status.UNKNOWN, Status.fromName(null), "null");
        equal(Status.IN_GRACE, Status.fromName("IN_GRACE"), "known");
        equal(ListStatus.UNKNOWN, ListStatus.fromName("SOMETHING_NEW"), "unknown list status");
        for (Status s : Status.values()) {
            equal(s, Status.fromName(s.name()), "round trip " + s);
        }
        // A report as a newer native library would fill it.
        Constructor<Report> c = Report.class.getDeclaredConstructor(String.class, boolean.class,
                boolean.class, String.class, String.class, String.class, String.class,
                String.class, String.class, String.class, String.class, long.class, long.class,
                long.class, Class.forName("[Ldev.licet.ListReport;"), int.class);
        c.setAccessible(true);
        Object lists = java.lang.reflect.Array.newInstance(Class.forName("dev.licet.ListReport"), 0);
        Report r = c.newInstance("LEASE_LAPSED", false, false, "new", null, null, null, null,
                null, null, null, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, lists, 0);
        equal(Status.UNKNOWN, r.status(), "unknown in a report");
        equal("LEASE_LAPSED", r.statusName(), "its name kept");
        check(r.issuedAt().isEmpty(), "absent time");
    }

    static void panicBoundary() throws Exception {
        LicetException e = expect(LicetException.class,
                () -> callNative("testPanic", new Class<?>[] {String.class}, "boom in Rust"));
        equal(LicetException.Code.INTERNAL, e.code(), "code");
        contains(e.getMessage(), "boom in Rust", "the panic's message");
        contains(e.getMessage(), "bug in licet", "says it is a bug");
        // The JVM and the library still work.
        try (TrustedKeys keys = TrustedKeys.fromFiles(demoKey())) {
            equal(Status.ACTIVE, Licet.verify(demoLicense(), keys, at(EVAL)).status(), "after");
        }
    }

    static void threadsShareKeys() throws Exception {
        int threads = 8;
        int perThread = 200;
        byte[] license = demoLicense();
        Instant later = Instant.parse("2031-06-01T00:00:00Z");
        try (TrustedKeys keys = TrustedKeys.fromFiles(demoKey())) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int thread = t;
                results.add(pool.submit((Callable<Integer>) () -> {
                    start.await();
                    int ok = 0;
                    for (int i = 0; i < perThread; i++) {
                        boolean expired = (i + thread) % 3 == 0;
                        Report r = Licet.verify(license, keys, at(expired ? later : EVAL));
                        if (r.status() == (expired ? Status.EXPIRED : Status.ACTIVE)
                                && "ACME-001".equals(r.customerId().orElse(null))) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            start.countDown();
            int ok = 0;
            for (Future<Integer> f : results) {
                ok += f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            equal(threads * perThread, ok, "every verdict right");
        }
    }

    static void threadsShareGuard() throws Exception {
        int threads = 4;
        int perThread = 15;
        Path dir = Files.createTempDirectory("licet-java-threads-");
        byte[] license = demoLicense();
        try (TrustedKeys keys = TrustedKeys.fromFiles(demoKey());
                Guard guard = Guard.open(dir, keys, null, Duration.ofSeconds(30));
                Guard second = Guard.open(dir, keys, null, Duration.ofSeconds(30))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                // Three threads share one guard; one uses a second guard on the same directory.
                Guard g = t == 0 ? second : guard;
                results.add(pool.submit((Callable<Integer>) () -> {
                    start.await();
                    int ok = 0;
                    for (int i = 0; i < perThread; i++) {
                        Report r = g.check(license, List.of(), at(EVAL.plusSeconds(i)));
                        if (r.status() == Status.ACTIVE) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            start.countDown();
            int ok = 0;
            for (Future<Integer> f : results) {
                ok += f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            equal(threads * perThread, ok, "every check ACTIVE");
            String state = new String(Files.readAllBytes(dir.resolve("state.json")),
                    StandardCharsets.UTF_8);
            JsonParser.parseString(state); // still well-formed JSON after concurrent saves
        } finally {
            deleteTree(dir);
        }
    }

    static void closeWhileVerifying() throws Exception {
        byte[] license = demoLicense();
        for (int round = 0; round < 20; round++) {
            TrustedKeys keys = TrustedKeys.fromFiles(demoKey());
            ExecutorService pool = Executors.newFixedThreadPool(4);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 1000; i++) {
                        try {
                            Report r = Licet.verify(license, keys, at(EVAL));
                            if (r.status() != Status.ACTIVE) {
                                return "wrong verdict " + r;
                            }
                        } catch (IllegalStateException closed) {
                            return "closed";
                        }
                    }
                    return "done";
                }));
            }
            start.countDown();
            Thread.sleep(round % 5);
            keys.close();
            for (Future<String> f : results) {
                String outcome = f.get(60, TimeUnit.SECONDS);
                check(outcome.equals("closed") || outcome.equals("done"), outcome);
            }
            pool.shutdown();
        }
    }

    static void cleaner() throws Exception {
        long before = liveHandles();
        TrustedKeys kept = TrustedKeys.fromFiles(demoKey());
        equal(before + 1, liveHandles(), "one more handle");
        kept.close();
        equal(before, liveHandles(), "close() frees it");
        byte[] pem = Files.readAllBytes(demoKey());
        for (int i = 0; i < 200; i++) {
            TrustedKeys.fromBytes(pem); // never closed
        }
        check(liveHandles() > before, "unclosed handles are live");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (liveHandles() > before && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
        }
        equal(before, liveHandles(), "the Cleaner freed every unclosed TrustedKeys");
    }
}
