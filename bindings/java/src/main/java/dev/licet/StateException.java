package dev.licet;

/**
 * The state directory of a {@link Guard} cannot be used: code
 * {@link LicetException.Code#STATE_IO}, {@link LicetException.Code#STATE_CORRUPT},
 * {@link LicetException.Code#STATE_NEWER_VERSION}, {@link LicetException.Code#STATE_BUSY} or
 * {@link LicetException.Code#STATE}. The message names the file and what to do. A corrupt state
 * is never reset silently: that would forget what it guards.
 */
public class StateException extends LicetException {
    private static final long serialVersionUID = 1L;

    StateException(Code code, String message) {
        super(code, message);
    }
}
