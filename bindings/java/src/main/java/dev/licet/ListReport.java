package dev.licet;

import java.util.Optional;

/** The verdict on one revocation list given to a check. Immutable. */
public final class ListReport {
    private final String source;
    private final String statusName;
    private final ListStatus status;
    private final String reason;
    private final String kid;

    /** Called by the native library. */
    ListReport(String source, String status, String reason, String kid) {
        this.source = source;
        this.statusName = status;
        this.status = ListStatus.fromName(status);
        this.reason = reason;
        this.kid = kid;
    }

    /**
     * Where the list came from, as given ({@link RevocationList#source()}).
     *
     * @return the source name
     */
    public String source() {
        return source;
    }

    /**
     * The verdict.
     *
     * @return the status ({@link ListStatus#UNKNOWN} for one newer than this jar)
     */
    public ListStatus status() {
        return status;
    }

    /**
     * The verdict's name as the native library gave it (also for {@link ListStatus#UNKNOWN}).
     *
     * @return for example {@code "ACCEPTED"}
     */
    public String statusName() {
        return statusName;
    }

    /**
     * Why, in a sentence.
     *
     * @return the reason
     */
    public String reason() {
        return reason;
    }

    /**
     * The key that signed the list, when it verified.
     *
     * @return the key's id (RFC 7638 thumbprint)
     */
    public Optional<String> kid() {
        return Optional.ofNullable(kid);
    }

    /**
     * Whether the list was accepted.
     *
     * @return true for {@link ListStatus#ACCEPTED}
     */
    public boolean accepted() {
        return status == ListStatus.ACCEPTED;
    }

    @Override
    public String toString() {
        return "ListReport[" + source + ": " + statusName + ", " + reason + "]";
    }
}
