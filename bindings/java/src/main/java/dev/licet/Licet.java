package dev.licet;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The licet verifier: one-shot checks of a license file, this machine's id, the version.
 *
 * <pre>{@code
 * try (TrustedKeys keys = TrustedKeys.fromFiles(Path.of("vendor.pub.pem"))) {
 *     Report report = Licet.verify(Files.readAllBytes(Path.of("license.lic")), keys,
 *             VerifyOptions.defaults());
 *     if (!report.valid()) {
 *         System.err.println(report.status() + ": " + report.reason());
 *     }
 * }
 * }</pre>
 *
 * <p>A "no" verdict is never an exception: it is the report's {@link Report#status() status}.
 *
 * <h2>The native library</h2>
 * The verifier runs in liblicet_jni.so, loaded on the first call into this package, from the
 * first of:
 * <ol>
 * <li>the file named by the system property {@code licet.library.path}, when it is set
 *     ({@code -Dlicet.library.path=/opt/licet/liblicet_jni.so}); a failure to load it is an
 *     error, the other places are not tried;</li>
 * <li>the copy bundled in the jar, as the resource {@code linux-x86_64/liblicet_jni.so} (the
 *     platform named {@code os-arch}: linux-x86_64, linux-aarch64), extracted to a new private
 *     temporary directory (mode 0700), loaded with {@link System#load}, and deleted right away
 *     (Linux keeps a loaded library mapped);</li>
 * <li>{@code System.loadLibrary("licet_jni")}: a liblicet_jni.so on {@code java.library.path}.</li>
 * </ol>
 * When none works, the first call throws {@link UnsatisfiedLinkError} naming what was tried.
 */
public final class Licet {
    /** The system property naming the native library file to load. */
    public static final String LIBRARY_PATH_PROPERTY = "licet.library.path";

    private static final String LIBRARY_NAME = "licet_jni";

    private static boolean loaded;

    private Licet() {}

    /**
     * Verifies a license file at the current time, against this machine (for a node-locked
     * license), for any product.
     *
     * @param license the license file's bytes
     * @param keys the vendor's public keys
     * @return the verdict (never null)
     */
    public static Report verify(byte[] license, TrustedKeys keys) {
        return verify(license, keys, VerifyOptions.defaults());
    }

    /**
     * Verifies a license file.
     *
     * @param license the license file's bytes
     * @param keys the vendor's public keys
     * @param options the evaluation time, leeway, clock tolerance, machine and product
     * @return the verdict (never null); {@link Report#lists()} is empty
     * @throws IllegalStateException if {@code keys} was closed
     */
    public static Report verify(byte[] license, TrustedKeys keys, VerifyOptions options) {
        Objects.requireNonNull(license, "license");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(options, "options");
        try {
            return Native.verify(license, keys.handle(), options.atGiven(), options.atSeconds(),
                    options.leewaySeconds(), options.clockToleranceSeconds(),
                    options.machineMode(), options.machineId(), options.productOrNull());
        } finally {
            Reference.reachabilityFence(keys);
        }
    }

    /**
     * Verifies a license file given as text (its UTF-8 bytes).
     *
     * @param license the license file's text
     * @param keys the vendor's public keys
     * @param options the options
     * @return the verdict
     */
    public static Report verify(String license, TrustedKeys keys, VerifyOptions options) {
        Objects.requireNonNull(license, "license");
        return verify(license.getBytes(StandardCharsets.UTF_8), keys, options);
    }

    /**
     * Checks a license file with revocation lists, without a state: each list is verified (a
     * list dated ahead of the evaluation time by more than the clock tolerance is refused) and
     * the accepted ones are applied. {@link Report#passed()} is true only when the license is
     * valid and every list was accepted. For lists that stick, use {@link Guard}.
     *
     * @param license the license file's bytes
     * @param keys the vendor's public keys (they verify the lists too)
     * @param lists the revocation lists, in order
     * @param options the options
     * @return the verdict on the license and on each list
     * @throws IllegalStateException if {@code keys} was closed
     */
    public static Report check(byte[] license, TrustedKeys keys, List<RevocationList> lists,
            VerifyOptions options) {
        Objects.requireNonNull(license, "license");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(options, "options");
        RevocationList.Arrays arrays = RevocationList.arrays(lists);
        try {
            return Native.check(license, keys.handle(), arrays.sources, arrays.bytes,
                    options.atGiven(), options.atSeconds(), options.leewaySeconds(),
                    options.clockToleranceSeconds(), options.machineMode(), options.machineId(),
                    options.productOrNull());
        } finally {
            Reference.reachabilityFence(keys);
        }
    }

    /**
     * Checks a floating-seat lease (a {@code lease+jwt} token from {@code licet relay}) against
     * the pool license it is a seat of: the pool license like any license (signature against
     * {@code keys}, expiry, product, clock; not its machine, which is the relay's) and of type
     * POOL; the lease signed by the relay key the pool names, for that pool, within the pool's
     * longest lease, unexpired and for the machine of {@code options}.
     *
     * <pre>{@code
     * LeaseReport lease = Licet.verifyLease(token, poolLicense, vendorKeys, VerifyOptions.defaults());
     * if (!lease.valid()) {
     *     System.err.println(lease.status() + " (" + lease.part().orElse("") + "): " + lease.reason());
     * }
     * }</pre>
     *
     * @param lease the lease token's bytes
     * @param pool the pool license file's bytes
     * @param keys the vendor's public keys
     * @param options the evaluation time, leeway, clock tolerance, machine and product
     * @return the verdict on the lease and its pool (never null)
     * @throws IllegalStateException if {@code keys} was closed
     */
    public static LeaseReport verifyLease(byte[] lease, byte[] pool, TrustedKeys keys,
            VerifyOptions options) {
        return checkLease(lease, pool, keys, Collections.emptyList(), options);
    }

    /**
     * Checks a floating-seat lease as {@link #verifyLease} does, with the vendor's revocation
     * lists: a revoked pool license is REVOKED with part {@code "pool"}; each list has its own
     * status in {@code pool().lists()}, and {@link LeaseReport#passed()} is true only when the
     * lease is valid and every list was accepted.
     *
     * @param lease the lease token's bytes
     * @param pool the pool license file's bytes
     * @param keys the vendor's public keys (they verify the lists too)
     * @param lists the revocation lists, in order
     * @param options the options
     * @return the verdict on the lease, its pool and each list (never null)
     * @throws IllegalStateException if {@code keys} was closed
     */
    public static LeaseReport checkLease(byte[] lease, byte[] pool, TrustedKeys keys,
            List<RevocationList> lists, VerifyOptions options) {
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(options, "options");
        RevocationList.Arrays arrays = RevocationList.arrays(lists);
        try {
            return Native.checkLease(lease, pool, keys.handle(), arrays.sources, arrays.bytes,
                    options.atGiven(), options.atSeconds(), options.leewaySeconds(),
                    options.clockToleranceSeconds(), options.machineMode(), options.machineId(),
                    options.productOrNull());
        } finally {
            Reference.reachabilityFence(keys);
        }
    }

    /**
     * This machine's id: the SHA-256 of the operating system's machine identifier, 64 lowercase
     * hex characters, as a vendor binds a node-locked license to it.
     *
     * @return the machine id
     * @throws MachineIdException if no machine identifier can be read on this machine
     */
    public static String machineId() {
        return Native.machineId();
    }

    /**
     * The version of the native library (the licet version).
     *
     * @return for example {@code "0.1.0"}
     */
    public static String version() {
        return Native.version();
    }

    /** Loads the native library (once); see the class documentation for where from. */
    static synchronized void loadNativeLibrary() {
        if (loaded) {
            return;
        }
        String path = System.getProperty(LIBRARY_PATH_PROPERTY);
        if (path != null && !path.isEmpty()) {
            String absolute = Paths.get(path).toAbsolutePath().toString();
            try {
                System.load(absolute);
            } catch (UnsatisfiedLinkError e) {
                throw linkError("licet: cannot load the native library " + absolute + " named by -D"
                        + LIBRARY_PATH_PROPERTY + ": " + e.getMessage(), e);
            }
            loaded = true;
            return;
        }
        String platform = platform();
        String resource = platform + "/lib" + LIBRARY_NAME + ".so";
        boolean bundled;
        try {
            bundled = loadBundled(resource);
        } catch (IOException | UnsatisfiedLinkError e) {
            throw linkError("licet: cannot load the native library bundled in the jar ("
                    + resource + "): " + e.getMessage(), e);
        }
        if (!bundled) {
            try {
                System.loadLibrary(LIBRARY_NAME);
            } catch (UnsatisfiedLinkError e) {
                throw linkError("licet: no native library: -D" + LIBRARY_PATH_PROPERTY
                        + " is not set, the jar has no " + resource + " for this platform, and "
                        + "lib" + LIBRARY_NAME + ".so is not on java.library.path ("
                        + System.getProperty("java.library.path") + ")", e);
            }
        }
        loaded = true;
    }

    /** Extracts and loads the bundled library; false when the jar has none for this platform. */
    private static boolean loadBundled(String resource) throws IOException {
        try (InputStream in = Licet.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                return false;
            }
            // A new directory that only this user can enter (0700 on POSIX), so nobody can swap
            // the file between the copy and the load.
            Path dir = Files.createTempDirectory("licet-jni-");
            Path file = dir.resolve("lib" + LIBRARY_NAME + ".so");
            try {
                Files.copy(in, file);
                System.load(file.toAbsolutePath().toString());
                return true;
            } finally {
                boolean gone = Files.deleteIfExists(file) && Files.deleteIfExists(dir);
                if (!gone) {
                    file.toFile().deleteOnExit();
                    dir.toFile().deleteOnExit();
                }
            }
        }
    }

    /** The platform directory of the bundled library: {@code linux-x86_64}, ... */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            os = "linux";
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            os = "macos";
        } else if (os.startsWith("windows")) {
            os = "windows";
        }
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            arch = "x86_64";
        } else if (arch.equals("arm64") || arch.equals("aarch64")) {
            arch = "aarch64";
        }
        return os + "-" + arch;
    }

    private static UnsatisfiedLinkError linkError(String message, Throwable cause) {
        UnsatisfiedLinkError error = new UnsatisfiedLinkError(message);
        error.initCause(cause);
        return error;
    }
}
