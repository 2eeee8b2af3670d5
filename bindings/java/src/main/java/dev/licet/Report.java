package dev.licet;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The verdict on a license (and on the revocation lists given with it): a plain immutable object,
 * safe to keep and share, with no native resources.
 *
 * <p>The license's claims ({@link #claimsJson()}, {@link #licenseId()}, ...) are present exactly
 * when the signature verified with a trusted key, whatever the status: an EXPIRED or REVOKED
 * license is still verified, a BAD_SIGNATURE or MALFORMED one is not ({@link #verified()}).
 */
public final class Report {
    /** An absent time, as the native library passes it. */
    private static final long ABSENT = Long.MIN_VALUE;

    private final String statusName;
    private final Status status;
    private final boolean valid;
    private final boolean passed;
    private final String reason;
    private final String kid;
    private final String alg;
    private final String claimsJson;
    private final String licenseId;
    private final String customerId;
    private final String product;
    private final String licenseType;
    private final Instant issuedAt;
    private final Instant expiresAt;
    private final Instant notBefore;
    private final List<ListReport> lists;
    private final int listsEnforced;

    /** Called by the native library (bindings/java/src/main/rust/report.rs). */
    Report(String status, boolean valid, boolean passed, String reason, String kid, String alg,
            String claimsJson, String licenseId, String customerId, String product,
            String licenseType, long issuedAt, long expiresAt, long notBefore,
            ListReport[] lists, int listsEnforced) {
        this.statusName = status;
        this.status = Status.fromName(status);
        this.valid = valid;
        this.passed = passed;
        this.reason = reason;
        this.kid = kid;
        this.alg = alg;
        this.claimsJson = claimsJson;
        this.licenseId = licenseId;
        this.customerId = customerId;
        this.product = product;
        this.licenseType = licenseType;
        this.issuedAt = instant(issuedAt);
        this.expiresAt = instant(expiresAt);
        this.notBefore = instant(notBefore);
        this.lists = Collections.unmodifiableList(Arrays.asList(lists.clone()));
        this.listsEnforced = listsEnforced;
    }

    private static Instant instant(long seconds) {
        return seconds == ABSENT ? null : Instant.ofEpochSecond(seconds);
    }

    /**
     * The verdict.
     *
     * @return the status ({@link Status#UNKNOWN} for one newer than this jar)
     */
    public Status status() {
        return status;
    }

    /**
     * The verdict's name as the native library gave it (also for {@link Status#UNKNOWN}).
     *
     * @return for example {@code "ACTIVE"}
     */
    public String statusName() {
        return statusName;
    }

    /**
     * Whether the license may be used: ACTIVE or IN_GRACE.
     *
     * @return true when valid
     */
    public boolean valid() {
        return valid;
    }

    /**
     * Valid, and every revocation list given was accepted: what {@code licet verify} exits 0 on,
     * so a refused list is noticed.
     *
     * @return true when passed
     */
    public boolean passed() {
        return passed;
    }

    /**
     * Why, in a sentence a person can act on.
     *
     * @return the reason
     */
    public String reason() {
        return reason;
    }

    /**
     * The id (RFC 7638 thumbprint) of the key that verified the signature, or else the
     * license's {@code kid} header, if any.
     *
     * @return the key id
     */
    public Optional<String> kid() {
        return Optional.ofNullable(kid);
    }

    /**
     * The signature algorithm ({@code EdDSA}, {@code RS256}, {@code PS256}), if it is one licet
     * accepts.
     *
     * @return the algorithm
     */
    public Optional<String> alg() {
        return Optional.ofNullable(alg);
    }

    /**
     * Whether the signature verified with a trusted key (then the claims are present).
     *
     * @return true when the claims can be trusted (even if the license is expired or revoked)
     */
    public boolean verified() {
        return claimsJson != null;
    }

    /**
     * All the claims of the verified license as a JSON object ({@code jti}, {@code sub},
     * {@code iat}, {@code exp}, {@code features}, ...; docs/FORMAT.md names them).
     *
     * @return the claims as JSON text; empty unless {@link #verified()}
     */
    public Optional<String> claimsJson() {
        return Optional.ofNullable(claimsJson);
    }

    /**
     * The license id ({@code jti}).
     *
     * @return the license id; empty unless {@link #verified()}
     */
    public Optional<String> licenseId() {
        return Optional.ofNullable(licenseId);
    }

    /**
     * The customer id ({@code sub}).
     *
     * @return the customer id; empty unless {@link #verified()}
     */
    public Optional<String> customerId() {
        return Optional.ofNullable(customerId);
    }

    /**
     * The product ({@code aud}).
     *
     * @return the product; empty unless verified and the license names one
     */
    public Optional<String> product() {
        return Optional.ofNullable(product);
    }

    /**
     * The license type ({@code license_type}, {@code STANDARD} when the license has none).
     *
     * @return the license type; empty unless {@link #verified()}
     */
    public Optional<String> licenseType() {
        return Optional.ofNullable(licenseType);
    }

    /**
     * When the license was issued ({@code iat}).
     *
     * @return the time; empty unless {@link #verified()}
     */
    public Optional<Instant> issuedAt() {
        return Optional.ofNullable(issuedAt);
    }

    /**
     * When the license expires ({@code exp}).
     *
     * @return the time; empty unless verified, and for a perpetual license
     */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    /**
     * When the license becomes valid ({@code nbf}).
     *
     * @return the time; empty unless verified and the license has one
     */
    public Optional<Instant> notBefore() {
        return Optional.ofNullable(notBefore);
    }

    /**
     * The verdict on each revocation list given, in order.
     *
     * @return an unmodifiable list; empty for {@link Licet#verify}
     */
    public List<ListReport> lists() {
        return lists;
    }

    /**
     * How many revocation lists the license was checked against: those given and accepted and,
     * with a {@link Guard}, the lists it kept from earlier checks.
     *
     * @return the number of lists enforced
     */
    public int listsEnforced() {
        return listsEnforced;
    }

    @Override
    public String toString() {
        return "Report[" + statusName + ", " + reason
                + (licenseId == null ? "" : ", license " + licenseId)
                + (lists.isEmpty() ? "" : ", lists " + lists) + "]";
    }
}
