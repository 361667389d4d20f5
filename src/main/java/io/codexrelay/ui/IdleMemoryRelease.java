package io.codexrelay.ui;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.AWTEvent;
import java.awt.Toolkit;
import java.awt.Window;
import java.awt.event.AWTEventListener;
import java.awt.event.WindowEvent;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Gives back the memory the windows used once the last one has closed (issue 9: the tray idles for hours after a
 * window was looked at). Closed windows are disposed and no longer referenced, but two things keep their memory
 * resident: the Java heap, which SerialGC shrinks only after a full collection that an idle daemon never triggers,
 * and the C heap (glibc's malloc keeps what GTK, X11, fontconfig and Java2D freed). So, a few seconds after the last
 * window closed (and only if none opened meanwhile): one full GC, which with the launcher's
 * {@code -XX:MaxHeapFreeRatio}/{@code -XX:-ShrinkHeapInSteps} hands the emptied heap back, then glibc's
 * {@code malloc_trim(0)}. Costs tens of milliseconds of CPU once per closing, nothing while the tray sits idle.
 */
final class IdleMemoryRelease {
    private static final Logger log = LoggerFactory.getLogger(IdleMemoryRelease.class);

    /** Long enough for a window closed to open another (Settings -> a dialog) without a collection in between. */
    static final Duration DELAY = Duration.ofSeconds(5);

    private final ScheduledExecutorService timer;
    private final Duration delay;
    private final BooleanSupplier windowShowing;
    private final Runnable release;
    private ScheduledFuture<?> pending;   // guarded by this
    private int releases;                 // guarded by this

    /**
     * @param windowShowing whether any window is on screen now (any thread)
     * @param release       what gives the memory back (a full GC and a native trim, see {@link #releaseNow})
     */
    IdleMemoryRelease(ScheduledExecutorService timer, Duration delay, BooleanSupplier windowShowing, Runnable release) {
        this.timer = timer;
        this.delay = delay;
        this.windowShowing = windowShowing;
        this.release = release;
    }

    /** The real thing: any AWT window counts, and the release is a full GC plus {@code malloc_trim}. */
    static IdleMemoryRelease forThisProcess(ScheduledExecutorService timer) {
        return new IdleMemoryRelease(timer, DELAY, IdleMemoryRelease::anyWindowShowing, IdleMemoryRelease::releaseNow);
    }

    /** Follows every window of the process (Swing frames, dialogs, toasts) from now on. EDT. */
    void watchWindows() {
        AWTEventListener l = e -> {
            if (e.getID() == WindowEvent.WINDOW_CLOSED) windowClosed();
            else if (e.getID() == WindowEvent.WINDOW_OPENED) windowOpened();
        };
        Toolkit.getDefaultToolkit().addAWTEventListener(l, AWTEvent.WINDOW_EVENT_MASK);
    }

    /** A window closed: when it was the last one, give the memory back after {@link #delay}. Any thread. */
    synchronized void windowClosed() {
        if (windowShowing.getAsBoolean()) return;
        if (pending != null) pending.cancel(false);
        try {
            pending = timer.schedule(this::releaseIfStillClosed, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            pending = null;   // the UI is closing: nothing to give back for
        }
    }

    /** A window opened: a release planned for an empty desktop would only slow it down. Any thread. */
    synchronized void windowOpened() {
        if (pending != null) pending.cancel(false);
        pending = null;
    }

    /** How many times memory was given back (tests). */
    synchronized int releases() { return releases; }

    private void releaseIfStillClosed() {
        synchronized (this) {
            pending = null;
            if (windowShowing.getAsBoolean()) return;
            releases++;
        }
        release.run();
    }

    static boolean anyWindowShowing() {
        for (Window w : Window.getWindows()) if (w.isShowing()) return true;
        return false;
    }

    /** One full GC, then glibc's trim of the C heap; logs what it gave back. */
    static void releaseNow() {
        long before = residentKb();
        long t0 = System.nanoTime();
        System.gc();   // the one full collection that lets SerialGC shrink the heap the windows grew
        boolean trimmed = trimNativeHeap();
        long after = residentKb();
        log.info("UI idle again (windows and menu closed): gave back {} MB (resident {} -> {} MB; full GC{} in {} ms)",
                before < 0 || after < 0 ? "?" : String.valueOf((before - after) / 1024), before / 1024, after / 1024,
                trimmed ? " and malloc_trim" : "", (System.nanoTime() - t0) / 1_000_000);
    }

    /** glibc only: {@code malloc_trim(0)} returns the free pages of every malloc arena to the OS. */
    private interface GlibcMalloc extends Library {
        int malloc_trim(long pad);
    }

    private static volatile GlibcMalloc glibc;
    private static volatile boolean noGlibc;

    static boolean trimNativeHeap() {
        if (noGlibc || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return false;
        try {
            GlibcMalloc c = glibc;
            if (c == null) glibc = c = Native.load("c", GlibcMalloc.class);
            c.malloc_trim(0);
            return true;
        } catch (UnsatisfiedLinkError | RuntimeException e) {   // musl and other C libraries have no malloc_trim
            noGlibc = true;
            log.debug("No malloc_trim here: {}", e.toString());
            return false;
        }
    }

    /** This process's resident set from /proc (Linux), -1 elsewhere. */
    static long residentKb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
            }
        } catch (java.io.IOException | RuntimeException ignored) {
            // not Linux
        }
        return -1;
    }
}
