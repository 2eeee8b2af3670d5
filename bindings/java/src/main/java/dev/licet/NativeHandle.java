package dev.licet;

import java.lang.ref.Cleaner;
import java.util.function.LongConsumer;

/**
 * One native object (a registry id) owned by a Java object: freed by {@link #close()}, or by the
 * shared {@link Cleaner} when the owner becomes unreachable without being closed. Freed exactly
 * once either way.
 */
final class NativeHandle {
    private static final Cleaner CLEANER = Cleaner.create();

    private final String what;
    private final long id;
    private final Cleaner.Cleanable cleanable;
    private volatile boolean closed;

    /** The action the Cleaner runs: holds the id and the free function, never the owner. */
    private static final class Release implements Runnable {
        private final long id;
        private final LongConsumer free;

        Release(long id, LongConsumer free) {
            this.id = id;
            this.free = free;
        }

        @Override
        public void run() {
            free.accept(id);
        }
    }

    NativeHandle(Object owner, String what, long id, LongConsumer free) {
        this.what = what;
        this.id = id;
        this.cleanable = CLEANER.register(owner, new Release(id, free));
    }

    /** The id, or {@link IllegalStateException} once closed. */
    long id() {
        if (closed) {
            throw new IllegalStateException("this " + what + " is closed");
        }
        return id;
    }

    boolean isClosed() {
        return closed;
    }

    /** Frees the native object (once; later calls do nothing). */
    void close() {
        closed = true;
        cleanable.clean();
    }
}
