/**
 * The licet verifier for Java: offline verification of licet license files (compact JWS signed
 * with EdDSA, RS256 or PS256), with the same verdicts as every other licet verifier.
 *
 * <p>Start with {@link dev.licet.Licet#verify(byte[], TrustedKeys, VerifyOptions)} for one check,
 * or {@link dev.licet.Guard} for the stateful check (a state directory that remembers the latest
 * time seen and the revocation lists, so a clock set back or a list left out is noticed).
 *
 * <p>A "no" verdict (EXPIRED, BAD_SIGNATURE, ...) is never an exception: it is the
 * {@link dev.licet.Report}'s {@link dev.licet.Report#status() status}. Exceptions are for usage
 * and environment errors only ({@link dev.licet.LicetException} and its subclasses, all
 * unchecked).
 *
 * <p>Thread safety: {@link dev.licet.TrustedKeys} and {@link dev.licet.Guard} are immutable and
 * safe to share between threads; {@link dev.licet.Report} is immutable. Closing a handle while
 * another thread uses it is safe: the running check finishes, later calls throw
 * {@link java.lang.IllegalStateException}.
 *
 * <p>The native library (liblicet_jni.so) is loaded on first use; see {@link dev.licet.Licet}.
 */
package dev.licet;
