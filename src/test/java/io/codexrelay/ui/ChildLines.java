package io.codexrelay.ui;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The lines a child process of a "ui" test prints, read on a thread of their own so that every wait has a deadline.
 * A child that hangs (a click that opened nothing, a window that never came) fails the test with what the child
 * printed, instead of blocking the build on a {@code readLine()} that no timeout can interrupt.
 * <p>
 * {@link #until} reads forward from a cursor; {@link #mark()} and {@link #sawAfter} look for a line without moving it,
 * so events that two windows print in either order (one dialog closing, the next opening) are both found.
 */
final class ChildLines {
    private final List<String> lines = new ArrayList<>();
    private boolean ended;
    private int cursor;

    ChildLines(Process child) {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) add(line);
            } catch (IOException ignored) {
                // the child was stopped: its output ends here
            } finally {
                synchronized (this) {
                    ended = true;
                    notifyAll();
                }
            }
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
    }

    private synchronized void add(String line) {
        lines.add(line);
        notifyAll();
    }

    /** The next line (after the cursor) starting with {@code prefix} within {@code timeout}; fails with the output otherwise. */
    String until(String prefix, Duration timeout) throws InterruptedException {
        return poll(prefix, timeout).orElseThrow(() -> new AssertionError((ended() ? "child ended" : "no line within "
                + timeout.toSeconds() + " s") + " before '" + prefix + "'; its output: " + seen()));
    }

    /** Like {@link #until}, but empty when no such line comes in time (the cursor then stays). */
    synchronized Optional<String> poll(String prefix, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        int i = cursor;
        while (true) {
            for (; i < lines.size(); i++) {
                if (lines.get(i).startsWith(prefix)) {
                    cursor = i + 1;
                    return Optional.of(lines.get(i));
                }
            }
            long left = end - System.nanoTime();
            if (ended || left <= 0) return Optional.empty();
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** A position to look for lines after, with {@link #sawAfter}. */
    synchronized int mark() {
        return lines.size();
    }

    /** Whether a line starting with {@code prefix} comes after {@code mark} within {@code timeout}; the cursor stays. */
    boolean sawAfter(int mark, String prefix, Duration timeout) throws InterruptedException {
        return indexAfter(mark, prefix, timeout) >= 0;
    }

    /**
     * The index of the first line at or after {@code from} starting with {@code prefix}, waiting up to {@code timeout};
     * -1 when none came. The cursor stays.
     */
    synchronized int indexAfter(int from, String prefix, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        int i = from;
        while (true) {
            for (; i < lines.size(); i++) if (lines.get(i).startsWith(prefix)) return i;
            long left = end - System.nanoTime();
            if (ended || left <= 0) return -1;
            wait(Math.max(1, left / 1_000_000));
        }
    }

    synchronized String line(int index) {
        return lines.get(index);
    }

    synchronized boolean ended() {
        return ended;
    }

    /** Every line read so far. */
    synchronized List<String> seen() {
        return List.copyOf(lines);
    }
}
