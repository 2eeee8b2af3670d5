package dev.licet;

/**
 * What became of a revocation list given to a check. {@link #UNKNOWN} stands for a status newer
 * than this jar ({@link ListReport#statusName()} has its name).
 */
public enum ListStatus {
    /** Verified and applied (and, with a state, kept). */
    ACCEPTED,
    /** Older (lower sequence number) than one already seen from its key: refused, not kept. */
    OLDER_THAN_SEEN,
    /** Dated ahead of the evaluation time by more than the clock tolerance: refused, not kept. */
    DATED_AHEAD,
    /** The signature does not verify with the trusted key its {@code kid} names. */
    BAD_SIGNATURE,
    /** No trusted key matches it. */
    UNKNOWN_KEY,
    /** Its algorithm is not accepted, or not one its key verifies. */
    UNSUPPORTED_ALGORITHM,
    /** Not a well-formed revocation list. */
    MALFORMED,
    /** It revokes a signing key it has no say over: refused, not recorded. */
    NOT_AUTHORIZED,
    /** A status this version of the binding does not know. */
    UNKNOWN;

    /**
     * The status of a name; {@link #UNKNOWN} for a name this version does not know.
     *
     * @param name a list status name such as {@code "ACCEPTED"}
     * @return the status (never null)
     */
    public static ListStatus fromName(String name) {
        if (name == null || name.equals("UNKNOWN")) {
            return UNKNOWN;
        }
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }
}
