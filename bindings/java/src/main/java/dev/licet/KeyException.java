package dev.licet;

/**
 * Trusted keys could not be loaded: code {@link LicetException.Code#KEY} (the contents hold no
 * usable public key: a private key, not a key at all, an RSA key that is too short, ...) or
 * {@link LicetException.Code#KEY_FILE} (the file cannot be read). The message names the file.
 */
public class KeyException extends LicetException {
    private static final long serialVersionUID = 1L;

    KeyException(Code code, String message) {
        super(code, message);
    }

    KeyException(Code code, String message, Throwable cause) {
        super(code, message, cause);
    }
}
