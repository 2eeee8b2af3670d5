package dev.licet;

import java.lang.ref.Reference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The stateful check: a license verified with memory, kept in a state directory. The state
 * records the latest trustworthy time seen (so a clock set back is CLOCK_ROLLBACK) and every
 * revocation list accepted (so a revocation sticks when the list is later left out, and an older
 * list cannot replace a newer one). Each {@link #check} locks the state, loads it, checks, and
 * saves it atomically.
 *
 * <pre>{@code
 * try (TrustedKeys keys = TrustedKeys.fromFiles(Path.of("vendor.pub.pem"));
 *      Guard guard = Guard.open(Path.of("/var/lib/my-app/licet"), keys)) {
 *     Report report = guard.check(Files.readAllBytes(Path.of("license.lic")));
 * }
 * }</pre>
 *
 * <p>Thread-safe: share one guard between threads (checks take the state's lock one at a time;
 * other processes using the same directory take the same lock). It holds a native object:
 * {@link #close()} frees it, and a {@link java.lang.ref.Cleaner} does when it becomes unreachable
 * unclosed. State problems (the directory cannot be used, the state is corrupt or of a newer
 * format, another check holds the lock too long) are {@link StateException}s; a verdict never is.
 */
public final class Guard implements AutoCloseable {
    private final NativeHandle handle;
    private final Path stateDir;

    private Guard(Path stateDir, long id) {
        this.stateDir = stateDir;
        this.handle = new NativeHandle(this, "Guard", id, Native::guardFree);
    }

    /**
     * Opens a state directory (created, mode 0700, if missing) with the default settings: one
     * hour of clock tolerance, five seconds of waiting for the state's lock.
     *
     * @param stateDir the state directory
     * @param keys the vendor's public keys (the guard keeps its own copy: {@code keys} may be
     *     closed afterwards)
     * @return the guard
     * @throws StateException if the directory cannot be used or the state is corrupt or newer
     */
    public static Guard open(Path stateDir, TrustedKeys keys) {
        return open(stateDir, keys, null, null);
    }

    /**
     * Opens a state directory with the settings given.
     *
     * @param stateDir the state directory
     * @param keys the vendor's public keys
     * @param clockTolerance how far behind the latest trustworthy time the clock may be (also
     *     how far ahead a revocation list may be dated); null for the default, one hour
     * @param lockTimeout how long a check waits for another one holding the state's lock before
     *     {@link StateException} with {@link LicetException.Code#STATE_BUSY}; null for the
     *     default, five seconds
     * @return the guard
     * @throws StateException if the directory cannot be used or the state is corrupt or newer
     * @throws IllegalArgumentException if a duration is negative or too long
     */
    public static Guard open(Path stateDir, TrustedKeys keys, Duration clockTolerance,
            Duration lockTimeout) {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(keys, "keys");
        long tolerance = Native.DEFAULT;
        if (clockTolerance != null) {
            tolerance = VerifyOptions.builder().clockTolerance(clockTolerance)
                    .build().clockToleranceSeconds();
        }
        long timeoutMillis = Native.DEFAULT;
        if (lockTimeout != null) {
            if (lockTimeout.isNegative()) {
                throw new IllegalArgumentException("the lock timeout must not be negative");
            }
            try {
                timeoutMillis = lockTimeout.toMillis();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("the lock timeout is too long", e);
            }
        }
        try {
            long id = Native.guardOpen(stateDir.toString(), keys.handle(), tolerance,
                    timeoutMillis);
            return new Guard(stateDir, id);
        } finally {
            Reference.reachabilityFence(keys);
        }
    }

    /**
     * Checks a license now, against this machine, for any product, without revocation lists
     * (the lists the state kept still apply).
     *
     * @param license the license file's bytes
     * @return the verdict
     * @throws StateException if the state cannot be used
     */
    public Report check(byte[] license) {
        return check(license, Collections.emptyList(), VerifyOptions.defaults());
    }

    /**
     * Checks a license now with revocation lists.
     *
     * @param license the license file's bytes
     * @param lists revocation lists, verified, applied and (when accepted) kept
     * @return the verdict on the license and on each list
     * @throws StateException if the state cannot be used
     */
    public Report check(byte[] license, List<RevocationList> lists) {
        return check(license, lists, VerifyOptions.defaults());
    }

    /**
     * Checks a license with revocation lists and options. The options' clock tolerance is not
     * used: the guard's own (given to {@link #open}) is.
     *
     * @param license the license file's bytes
     * @param lists revocation lists, verified, applied and (when accepted) kept
     * @param options the evaluation time, leeway, machine and product
     * @return the verdict on the license and on each list ({@link Report#listsEnforced()}
     *     counts the lists kept from earlier checks too)
     * @throws StateException if the state cannot be used (I/O, corrupt, newer format, busy)
     * @throws IllegalStateException if this guard was closed
     */
    public Report check(byte[] license, List<RevocationList> lists, VerifyOptions options) {
        Objects.requireNonNull(license, "license");
        Objects.requireNonNull(options, "options");
        RevocationList.Arrays arrays = RevocationList.arrays(lists);
        try {
            return Native.guardCheck(handle.id(), license, arrays.sources, arrays.bytes,
                    options.atGiven(), options.atSeconds(), options.leewaySeconds(),
                    options.machineMode(), options.machineId(), options.productOrNull());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * The state directory.
     *
     * @return the directory given to {@link #open}
     */
    public Path stateDir() {
        return stateDir;
    }

    /** Frees the native guard. Idempotent; a check running on another thread finishes first. */
    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return "Guard[" + stateDir + (handle.isClosed() ? ", closed]" : "]");
    }
}
