package dev.licet;

import java.util.Objects;

/**
 * A usage or environment error: a key file that is not a key, a malformed machine id, a file
 * that cannot be read, a state directory that cannot be used. Never a verdict: a license that is
 * expired, forged or revoked is a {@link Report}, not an exception.
 *
 * <p>Unchecked, like {@link IllegalArgumentException}: each one is a problem of configuration or
 * environment that the caller fixes or reports in one place, not something to handle at every
 * call. The subclasses group the codes: {@link KeyException} ({@link Code#KEY},
 * {@link Code#KEY_FILE}), {@link MachineIdException} ({@link Code#MACHINE_ID}) and
 * {@link StateException} (the {@code STATE_*} codes). Arguments out of range are
 * {@link IllegalArgumentException}, null arguments {@link NullPointerException}, and a closed
 * {@link TrustedKeys} or {@link Guard} {@link IllegalStateException}.
 */
public class LicetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, for code that tells errors apart. */
    public enum Code {
        /** The key contents hold no usable public key (a private key, not a key, too short). */
        KEY,
        /** A key file cannot be read (missing, not readable, not a regular file, over 1 MiB). */
        KEY_FILE,
        /** A machine id is not 64 hex characters, or this machine's id cannot be read. */
        MACHINE_ID,
        /**
         * A file other than a key file cannot be read (a revocation list: missing, not
         * readable, not a regular file, over 8 MiB).
         */
        IO,
        /** The state directory or a file in it cannot be read or written. */
        STATE_IO,
        /** The state file is not what licet writes (it is never reset silently). */
        STATE_CORRUPT,
        /** The state was written by a newer licet. */
        STATE_NEWER_VERSION,
        /** Another check held the state's lock longer than the lock timeout. */
        STATE_BUSY,
        /** Another problem with the state. */
        STATE,
        /** A failure inside the native library (a bug in licet: please report it). */
        INTERNAL,
        /** A code this version of the binding does not know (a newer native library). */
        UNKNOWN
    }

    private final Code code;

    /**
     * An exception with a code.
     *
     * @param code what went wrong
     * @param message a sentence that names the problem
     */
    public LicetException(Code code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    /**
     * An exception with a code and a cause.
     *
     * @param code what went wrong
     * @param message a sentence that names the problem
     * @param cause the underlying exception
     */
    public LicetException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /**
     * What went wrong.
     *
     * @return the code
     */
    public Code code() {
        return code;
    }

    /** The exception the native library throws for a code name (boundary.rs). */
    static LicetException fromNative(String codeName, String message) {
        Code code;
        try {
            code = Code.valueOf(codeName);
        } catch (IllegalArgumentException | NullPointerException e) {
            code = Code.UNKNOWN;
        }
        switch (code) {
            case KEY:
            case KEY_FILE:
                return new KeyException(code, message);
            case MACHINE_ID:
                return new MachineIdException(message);
            case STATE_IO:
            case STATE_CORRUPT:
            case STATE_NEWER_VERSION:
            case STATE_BUSY:
            case STATE:
                return new StateException(code, message);
            default:
                return new LicetException(code, message);
        }
    }
}
