package dev.licet;

import java.time.Instant;
import java.util.Optional;

/**
 * The verdict on a floating-seat lease (a {@code lease+jwt} token from {@code licet relay}) and
 * on the pool license it is a seat of: a plain immutable object with no native resources.
 *
 * <p>{@link #status()} is the pool license's status when the pool failed ({@link #part()} is
 * {@code "pool"}), else the lease's ({@code "lease"} when it failed). The lease's fields are
 * present exactly when its signature verified with the relay key the pool license names.
 */
public final class LeaseReport {
    /** An absent time, as the native library passes it. */
    private static final long ABSENT = Long.MIN_VALUE;

    private final String statusName;
    private final Status status;
    private final boolean valid;
    private final boolean passed;
    private final String reason;
    private final String part;
    private final String leaseId;
    private final String machineId;
    private final String poolLicenseId;
    private final Instant issuedAt;
    private final Instant expiresAt;
    private final Report pool;
    private final String json;

    /** Called by the native library (bindings/java/src/main/rust/report.rs). */
    LeaseReport(String status, boolean valid, boolean passed, String reason, String part,
            String leaseId, String machineId, String poolLicenseId, long issuedAt,
            long expiresAt, Report pool, String json) {
        this.statusName = status;
        this.status = Status.fromName(status);
        this.valid = valid;
        this.passed = passed;
        this.reason = reason;
        this.part = part;
        this.leaseId = leaseId;
        this.machineId = machineId;
        this.poolLicenseId = poolLicenseId;
        this.issuedAt = issuedAt == ABSENT ? null : Instant.ofEpochSecond(issuedAt);
        this.expiresAt = expiresAt == ABSENT ? null : Instant.ofEpochSecond(expiresAt);
        this.pool = pool;
        this.json = json;
    }

    /**
     * The verdict: the pool license's when it is not valid, else the lease's.
     *
     * @return the status ({@link Status#UNKNOWN} for one newer than this jar)
     */
    public Status status() {
        return status;
    }

    /**
     * The verdict's name as the native library gave it (also for {@link Status#UNKNOWN}).
     *
     * @return for example {@code "ACTIVE"} or {@code "WRONG_POOL"}
     */
    public String statusName() {
        return statusName;
    }

    /**
     * Whether the seat may be used: the pool license is valid and the lease is ACTIVE.
     *
     * @return true when valid
     */
    public boolean valid() {
        return valid;
    }

    /**
     * Whether the lease is valid and every revocation list given was accepted.
     *
     * @return true when passed
     */
    public boolean passed() {
        return passed;
    }

    /**
     * Why, in a sentence.
     *
     * @return the reason (never null)
     */
    public String reason() {
        return reason;
    }

    /**
     * Which half failed: {@code "pool"} or {@code "lease"}; empty when valid.
     *
     * @return the failed part
     */
    public Optional<String> part() {
        return Optional.ofNullable(part);
    }

    /**
     * The lease id ({@code jti}), the same across renewals of one lease.
     *
     * @return the lease id, when the lease's signature verified
     */
    public Optional<String> leaseId() {
        return Optional.ofNullable(leaseId);
    }

    /**
     * The machine holding the seat (64 lowercase hex characters).
     *
     * @return the machine id, when the lease's signature verified
     */
    public Optional<String> machineId() {
        return Optional.ofNullable(machineId);
    }

    /**
     * The pool license's id ({@code jti}) that the lease names.
     *
     * @return the pool license id, when the lease's signature verified
     */
    public Optional<String> poolLicenseId() {
        return Optional.ofNullable(poolLicenseId);
    }

    /**
     * When the relay signed the lease.
     *
     * @return the issue time, when the lease's signature verified
     */
    public Optional<Instant> issuedAt() {
        return Optional.ofNullable(issuedAt);
    }

    /**
     * When the lease ends unless renewed.
     *
     * @return the expiry, when the lease's signature verified
     */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    /**
     * The pool license's own verdict, with each revocation list's.
     *
     * @return the pool's report (never null)
     */
    public Report pool() {
        return pool;
    }

    /**
     * The report as {@code licet verify-lease --json} prints it.
     *
     * @return a JSON object
     */
    public String toJson() {
        return json;
    }

    @Override
    public String toString() {
        return "LeaseReport[" + statusName + (part == null ? "" : " (" + part + ")") + ", "
                + reason + (leaseId == null ? "" : ", lease " + leaseId) + "]";
    }
}
