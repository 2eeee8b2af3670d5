package dev.licet;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The vendor's public keys that licenses (and revocation lists) must be signed with: PEM (one or
 * more {@code PUBLIC KEY} blocks), a JWK or a JWKS. Several inputs add up.
 *
 * <p>Immutable and thread-safe: share one instance between threads. It holds a native object:
 * {@link #close()} frees it (try-with-resources); a {@link java.lang.ref.Cleaner} frees it too
 * when the object becomes unreachable unclosed. A {@link Guard} keeps its own copy, so the keys
 * may be closed once the guard is open.
 */
public final class TrustedKeys implements AutoCloseable {
    private final NativeHandle handle;
    private final int size;

    private TrustedKeys(byte[][] contents, String[] sources) {
        this(newKeys(contents, sources));
    }

    private TrustedKeys(long id) {
        this.handle = new NativeHandle(this, "TrustedKeys", id, Native::keysFree);
        this.size = Native.keysLen(id);
    }

    private static long newKeys(byte[][] contents, String[] sources) {
        if (contents.length == 0) {
            throw new IllegalArgumentException("no key given: trusted keys need at least one key");
        }
        return Native.keysNew(contents, sources);
    }

    /**
     * These keys and the new keys that key rollover statements ({@code licet key rollover})
     * introduce, each statement verified with the keys before it (give them in the order they
     * chain). Licenses of a new key then verify, and licenses an old key signs from its
     * retirement date are {@link Status#KEY_RETIRED}. This set is unchanged.
     *
     * @param statements each the bytes of a rollover statement
     * @return a new set (close it too)
     * @throws KeyException with code {@link LicetException.Code#KEY} if a statement is refused
     *     (no key signed it, a bad signature, signed after its key was retired, ...)
     */
    public TrustedKeys withRollovers(byte[]... statements) {
        Objects.requireNonNull(statements, "statements");
        String[] sources = new String[statements.length];
        for (int i = 0; i < statements.length; i++) {
            Objects.requireNonNull(statements[i], "statements[" + i + "]");
            sources[i] = "rollover statement " + (i + 1);
        }
        return new TrustedKeys(Native.keysWithRollovers(handle(), statements.clone(), sources));
    }

    /**
     * {@link #withRollovers(byte[]...)} with statements read from files.
     *
     * @param files rollover statement files, each a regular file of at most 1 MiB
     * @return a new set (close it too)
     * @throws KeyException if a file cannot be read or a statement is refused (the message names
     *     the file)
     */
    public TrustedKeys withRolloverFiles(Collection<Path> files) {
        Objects.requireNonNull(files, "files");
        List<byte[]> statements = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (Path file : files) {
            Objects.requireNonNull(file, "files contains null");
            statements.add(Native.readFile(file.toString(), Native.FILE_KEY));
            sources.add("the rollover statement " + file);
        }
        return new TrustedKeys(Native.keysWithRollovers(
                handle(), statements.toArray(new byte[0][]), sources.toArray(new String[0])));
    }

    /**
     * Keys from the contents of key files.
     *
     * @param contents each the bytes of a PEM file, a JWK or a JWKS
     * @return the keys
     * @throws KeyException if an input holds no usable public key (the message says which and
     *     why: a private key, an RSA key too short, not a key at all, ...)
     */
    public static TrustedKeys fromBytes(byte[]... contents) {
        Objects.requireNonNull(contents, "contents");
        String[] sources = new String[contents.length];
        for (int i = 0; i < contents.length; i++) {
            Objects.requireNonNull(contents[i], "contents[" + i + "]");
            sources[i] = contents.length == 1 ? "the key" : "key input " + (i + 1);
        }
        return new TrustedKeys(contents.clone(), sources);
    }

    /**
     * Keys from text: PEM, or the JSON of a JWK or JWKS.
     *
     * @param texts each the text of a key file
     * @return the keys
     * @throws KeyException if a text holds no usable public key
     */
    public static TrustedKeys fromString(String... texts) {
        Objects.requireNonNull(texts, "texts");
        byte[][] contents = new byte[texts.length][];
        for (int i = 0; i < texts.length; i++) {
            contents[i] = Objects.requireNonNull(texts[i], "texts[" + i + "]")
                    .getBytes(StandardCharsets.UTF_8);
        }
        return fromBytes(contents);
    }

    /**
     * Keys from key files.
     *
     * @param files PEM, JWK or JWKS files, each a regular file of at most 1 MiB
     * @return the keys
     * @throws KeyException with code {@link LicetException.Code#KEY_FILE} if a file cannot be
     *     read (missing, unreadable, not a regular file: a directory, a FIFO, a device; larger
     *     than 1 MiB), {@link LicetException.Code#KEY} if it holds no usable public key (the
     *     message names the file)
     */
    public static TrustedKeys fromFiles(Path... files) {
        Objects.requireNonNull(files, "files");
        return fromFiles(Arrays.asList(files));
    }

    /**
     * Keys from key files.
     *
     * @param files PEM, JWK or JWKS files
     * @return the keys
     * @throws KeyException as {@link #fromFiles(Path...)}
     */
    public static TrustedKeys fromFiles(Collection<Path> files) {
        Objects.requireNonNull(files, "files");
        List<byte[]> contents = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (Path file : files) {
            Objects.requireNonNull(file, "files contains null");
            // Read natively: a regular file of at most 1 MiB (a FIFO or /dev/zero is refused).
            contents.add(Native.readFile(file.toString(), Native.FILE_KEY));
            sources.add("the key file " + file);
        }
        return new TrustedKeys(contents.toArray(new byte[0][]), sources.toArray(new String[0]));
    }

    /**
     * How many keys.
     *
     * @return the number of keys (a JWKS or a PEM file may hold several)
     */
    public int size() {
        return size;
    }

    /** The native id; {@link IllegalStateException} once closed. */
    long handle() {
        return handle.id();
    }

    /** Frees the native keys. Idempotent; a check running on another thread finishes first. */
    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return "TrustedKeys[" + size + (handle.isClosed() ? " keys, closed]" : " keys]");
    }
}
