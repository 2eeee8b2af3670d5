package dev.licet;

/**
 * The verdict on a license. The names are the licet status names (as in {@code licet verify
 * --json} and every other licet binding). {@link #UNKNOWN} stands for a status newer than this
 * jar: {@link Report#statusName()} then has its name. Only {@link #ACTIVE} and
 * {@link #IN_GRACE} are valid.
 */
public enum Status {
    /** Valid. */
    ACTIVE,
    /** Expired, but within its grace period: still valid. */
    IN_GRACE,
    /** On or after its expiry (plus leeway and grace). */
    EXPIRED,
    /** Before its not-before time (minus leeway). */
    NOT_YET_VALID,
    /** Node-locked to other machines. */
    MACHINE_MISMATCH,
    /** Issued for another product. */
    WRONG_PRODUCT,
    /** The signature does not verify with the trusted key. */
    BAD_SIGNATURE,
    /** No trusted key matches the license. */
    UNKNOWN_KEY,
    /** The algorithm is not accepted, or not one its key verifies. */
    UNSUPPORTED_ALGORITHM,
    /** Not a well-formed license file. */
    MALFORMED,
    /** Listed in a revocation list. */
    REVOKED,
    /** The clock reads earlier than a time already seen (beyond the tolerance). */
    CLOCK_ROLLBACK,
    /**
     * A lease check: the lease names another pool than the one given, or the license given as
     * the pool is not a pool license.
     */
    WRONG_POOL,
    /** A lease check: the lease lives longer than the pool license's {@code max_lease_ttl}. */
    LEASE_TOO_LONG,
    /** Signed by a key a rollover statement retired, on or after the retirement date. */
    KEY_RETIRED,
    /**
     * Signed by a revoked key (from a date on or before the license's {@code iat}), or by a key
     * trusted through a rollover that a revoked key signed.
     */
    KEY_REVOKED,
    /** A status this version of the binding does not know (a newer native library). */
    UNKNOWN;

    /**
     * The status of a name; {@link #UNKNOWN} for a name this version does not know.
     *
     * @param name a status name such as {@code "ACTIVE"}
     * @return the status (never null)
     */
    public static Status fromName(String name) {
        if (name == null || name.equals("UNKNOWN")) {
            return UNKNOWN;
        }
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }

    /**
     * Whether a license with this status may be used.
     *
     * @return true for ACTIVE and IN_GRACE
     */
    public boolean isValid() {
        return this == ACTIVE || this == IN_GRACE;
    }
}
