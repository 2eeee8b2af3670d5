package dev.licet;

/**
 * The native methods of liblicet_jni.so (bindings/java/src/main/rust/exports.rs). Their parameter
 * lists must match the Rust exports exactly. Objects are passed as registry ids (positive longs),
 * never as pointers: a stale id throws {@link IllegalStateException}.
 */
final class Native {
    static {
        Licet.loadNativeLibrary();
    }

    /** {@code VerifyOptions} machine modes. */
    static final int MACHINE_THIS = 0;
    static final int MACHINE_GIVEN = 1;
    static final int MACHINE_NOT_CHECKED = 2;

    /** "Not given" for a tolerance or a timeout: the library's default. */
    static final long DEFAULT = -1;

    /** {@link #readFile} kinds: a key file (at most 1 MiB), a revocation list (8 MiB). */
    static final int FILE_KEY = 0;
    static final int FILE_LIST = 1;

    private Native() {}

    static native String version();

    static native String machineId();

    static native String parseMachineId(String text);

    /**
     * The contents of a file, read by the native library: a regular file only (a FIFO or a
     * device is refused without blocking), of at most the kind's limit.
     */
    static native byte[] readFile(String path, int kind);

    static native long keysNew(byte[][] contents, String[] sources);

    static native long keysWithRollovers(long keys, byte[][] statements, String[] sources);

    static native int keysLen(long keys);

    static native void keysFree(long keys);

    static native Report verify(byte[] license, long keys, boolean atGiven, long at, long leeway,
            long clockTolerance, int machineMode, String machine, String product);

    static native Report check(byte[] license, long keys, String[] listSources, byte[][] lists,
            boolean atGiven, long at, long leeway, long clockTolerance, int machineMode,
            String machine, String product);

    static native LeaseReport checkLease(byte[] lease, byte[] pool, long keys,
            String[] listSources, byte[][] lists, boolean atGiven, long at, long leeway,
            long clockTolerance, int machineMode, String machine, String product);

    static native long guardOpen(String dir, long keys, long clockTolerance,
            long lockTimeoutMillis);

    static native Report guardCheck(long guard, byte[] license, String[] listSources,
            byte[][] lists, boolean atGiven, long at, long leeway, int machineMode,
            String machine, String product);

    static native void guardFree(long guard);

    /** How many native keys and guards are open (for tests of close() and the Cleaner). */
    static native long liveHandles();

    /** Panics in Rust: for the test that a panic is a {@link LicetException}, never a crash. */
    static native void testPanic(String message);
}
