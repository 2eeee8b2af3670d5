package dev.licet;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A revocation list to check a license with: its bytes and a source name for the report (a file
 * name). Immutable.
 */
public final class RevocationList {
    private final String source;
    private final byte[] bytes;

    private RevocationList(String source, byte[] bytes) {
        this.source = source;
        this.bytes = bytes;
    }

    /**
     * A list from bytes.
     *
     * @param source where it came from, as {@link ListReport#source()} reports it
     * @param bytes the list (a compact JWS, {@code typ} {@code license-revocations+jwt})
     * @return the list
     */
    public static RevocationList of(String source, byte[] bytes) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(bytes, "bytes");
        return new RevocationList(source, bytes.clone());
    }

    /**
     * A list from a file; its source is the path.
     *
     * @param file the list file, a regular file of at most 8 MiB
     *     ({@code MAX_REVOCATION_LIST_BYTES} of the verifier)
     * @return the list
     * @throws LicetException with code {@link LicetException.Code#IO} if it cannot be read
     *     (missing, unreadable, not a regular file: a directory, a FIFO, a device; larger than
     *     8 MiB; the message names the file)
     */
    public static RevocationList fromFile(Path file) {
        Objects.requireNonNull(file, "file");
        // Read natively: a regular file of at most 8 MiB (a FIFO or /dev/zero is refused).
        return new RevocationList(file.toString(),
                Native.readFile(file.toString(), Native.FILE_LIST));
    }

    /**
     * The source name.
     *
     * @return where the list came from
     */
    public String source() {
        return source;
    }

    /**
     * The list's bytes.
     *
     * @return a copy of the bytes
     */
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public String toString() {
        return "RevocationList[" + source + ", " + bytes.length + " bytes]";
    }

    /** The parallel arrays the native methods take. */
    static final class Arrays {
        final String[] sources;
        final byte[][] bytes;

        Arrays(String[] sources, byte[][] bytes) {
            this.sources = sources;
            this.bytes = bytes;
        }
    }

    static Arrays arrays(List<RevocationList> lists) {
        Objects.requireNonNull(lists, "lists");
        RevocationList[] all = lists.toArray(new RevocationList[0]);
        String[] sources = new String[all.length];
        byte[][] bytes = new byte[all.length][];
        for (int i = 0; i < all.length; i++) {
            Objects.requireNonNull(all[i], "lists contains null");
            sources[i] = all[i].source;
            bytes[i] = all[i].bytes;
        }
        return new Arrays(sources, bytes);
    }
}
