package dev.licet;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a license is checked against besides its keys: the evaluation time, leeway, clock
 * tolerance, machine and product. Immutable and thread-safe; build one with {@link #builder()}.
 *
 * <pre>{@code
 * VerifyOptions options = VerifyOptions.builder()
 *         .at(Instant.parse("2026-06-01T00:00:00Z"))
 *         .leeway(Duration.ofMinutes(5))
 *         .product("my-app")
 *         .build();
 * }</pre>
 */
public final class VerifyOptions {
    private static final long MAX_SECONDS = 0xFFFF_FFFFL;
    private static final VerifyOptions DEFAULTS = builder().build();

    private final Instant at;
    private final long leewaySeconds;
    private final long clockToleranceSeconds;
    private final int machineMode;
    private final String machineId;
    private final String product;

    private VerifyOptions(Builder b) {
        this.at = b.at;
        this.leewaySeconds = b.leewaySeconds;
        this.clockToleranceSeconds = b.clockToleranceSeconds;
        this.machineMode = b.machineMode;
        this.machineId = b.machineId;
        this.product = b.product;
    }

    /**
     * The defaults: now, no leeway, the default clock tolerance (one hour), this machine (read
     * only for a node-locked license), any product.
     *
     * @return the default options
     */
    public static VerifyOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The evaluation time; empty means the time of each check.
     *
     * @return the evaluation time, if fixed
     */
    public Optional<Instant> at() {
        return Optional.ofNullable(at);
    }

    /**
     * The leeway: seconds of clock skew tolerated on {@code nbf} and {@code exp}.
     *
     * @return the leeway
     */
    public Duration leeway() {
        return Duration.ofSeconds(leewaySeconds);
    }

    /**
     * The clock tolerance; empty means the default (one hour).
     *
     * @return the clock tolerance, if set
     */
    public Optional<Duration> clockTolerance() {
        return clockToleranceSeconds == Native.DEFAULT ? Optional.empty()
                : Optional.of(Duration.ofSeconds(clockToleranceSeconds));
    }

    /**
     * The machine id a node-locked license is checked against; empty for this machine or for
     * {@link #machineChecked() no check}.
     *
     * @return the machine id (lower case), if given
     */
    public Optional<String> machine() {
        return Optional.ofNullable(machineId);
    }

    /**
     * Whether a node-locked license's machine binding is checked.
     *
     * @return false after {@link Builder#noMachineCheck()}
     */
    public boolean machineChecked() {
        return machineMode != Native.MACHINE_NOT_CHECKED;
    }

    /**
     * The product the license must be issued for ({@code aud}); empty for any.
     *
     * @return the product, if required
     */
    public Optional<String> product() {
        return Optional.ofNullable(product);
    }

    boolean atGiven() {
        return at != null;
    }

    long atSeconds() {
        return at == null ? 0 : at.getEpochSecond();
    }

    long leewaySeconds() {
        return leewaySeconds;
    }

    long clockToleranceSeconds() {
        return clockToleranceSeconds;
    }

    int machineMode() {
        return machineMode;
    }

    String machineId() {
        return machineId;
    }

    String productOrNull() {
        return product;
    }

    @Override
    public String toString() {
        return "VerifyOptions[at=" + (at == null ? "now" : at) + ", leeway=" + leewaySeconds
                + "s, clockTolerance="
                + (clockToleranceSeconds == Native.DEFAULT ? "default" : clockToleranceSeconds + "s")
                + ", machine=" + (machineMode == Native.MACHINE_THIS ? "this machine"
                        : machineMode == Native.MACHINE_GIVEN ? machineId : "not checked")
                + ", product=" + (product == null ? "any" : product) + "]";
    }

    /** Builds {@link VerifyOptions}; not thread-safe (the options it builds are). */
    public static final class Builder {
        private Instant at;
        private long leewaySeconds;
        private long clockToleranceSeconds = Native.DEFAULT;
        private int machineMode = Native.MACHINE_THIS;
        private String machineId;
        private String product;

        private Builder() {}

        /**
         * Evaluates at a fixed time instead of the time of the check (whole seconds; the
         * fraction is dropped).
         *
         * @param at the evaluation time
         * @return this builder
         */
        public Builder at(Instant at) {
            this.at = Objects.requireNonNull(at, "at");
            return this;
        }

        /**
         * Evaluates at the time of each check (the default).
         *
         * @return this builder
         */
        public Builder now() {
            this.at = null;
            return this;
        }

        /**
         * Seconds of clock skew tolerated on {@code nbf} and {@code exp} (default 0).
         *
         * @param leeway whole seconds, from 0 to 4294967295
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder leeway(Duration leeway) {
            Objects.requireNonNull(leeway, "leeway");
            return leeway(leeway.getSeconds());
        }

        /**
         * Seconds of clock skew tolerated on {@code nbf} and {@code exp} (default 0).
         *
         * @param seconds from 0 to 4294967295
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder leeway(long seconds) {
            this.leewaySeconds = checkSeconds(seconds, "leeway");
            return this;
        }

        /**
         * How far the clock may be behind the latest trustworthy time (the license's
         * {@code iat} without a state) before the verdict is CLOCK_ROLLBACK; also how far ahead
         * a revocation list may be dated. Default one hour. A {@link Guard} uses the tolerance
         * it was opened with instead.
         *
         * @param tolerance whole seconds, from 0 to 4294967295
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder clockTolerance(Duration tolerance) {
            Objects.requireNonNull(tolerance, "tolerance");
            return clockTolerance(tolerance.getSeconds());
        }

        /**
         * The clock tolerance in seconds; see {@link #clockTolerance(Duration)}.
         *
         * @param seconds from 0 to 4294967295
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder clockTolerance(long seconds) {
            this.clockToleranceSeconds = checkSeconds(seconds, "clock tolerance");
            return this;
        }

        /**
         * Checks a node-locked license against this machine id instead of this machine's.
         *
         * @param machineId 64 hexadecimal characters (upper case accepted, surrounding
         *     whitespace ignored)
         * @return this builder
         * @throws MachineIdException if it is not a machine id (the message quotes it)
         */
        public Builder machine(String machineId) {
            Objects.requireNonNull(machineId, "machineId");
            this.machineId = Native.parseMachineId(machineId);
            this.machineMode = Native.MACHINE_GIVEN;
            return this;
        }

        /**
         * Checks a node-locked license against this machine (the default; its id is read only
         * for a node-locked license).
         *
         * @return this builder
         */
        public Builder thisMachine() {
            this.machineId = null;
            this.machineMode = Native.MACHINE_THIS;
            return this;
        }

        /**
         * Does not check machine bindings: for audits on a machine that is not the customer's.
         * Never in a product's own check.
         *
         * @return this builder
         */
        public Builder noMachineCheck() {
            this.machineId = null;
            this.machineMode = Native.MACHINE_NOT_CHECKED;
            return this;
        }

        /**
         * Requires the license to be issued for this product ({@code aud}); otherwise the
         * verdict is WRONG_PRODUCT.
         *
         * @param product the product name, or null for any product
         * @return this builder
         */
        public Builder product(String product) {
            this.product = product;
            return this;
        }

        /**
         * The options.
         *
         * @return immutable options
         */
        public VerifyOptions build() {
            return new VerifyOptions(this);
        }

        private static long checkSeconds(long seconds, String what) {
            if (seconds < 0 || seconds > MAX_SECONDS) {
                throw new IllegalArgumentException("the " + what + " is " + seconds
                        + " s; it must be between 0 and " + MAX_SECONDS + " s");
            }
            return seconds;
        }
    }
}
