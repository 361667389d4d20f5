package io.codexrelay.ui;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.swing.SwingUtilities;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Runs control actions off the EDT, one at a time in order (a pin then a refresh must not overtake each other),
 * and hands results and errors back on the EDT.
 */
public final class UiTasks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UiTasks.class);

    @FunctionalInterface
    public interface Task<T> { T call() throws Exception; }

    private final ExecutorService exec = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ui-actions");
        t.setDaemon(true);
        return t;
    });

    public <T> void run(Task<T> task, Consumer<T> onSuccess, Consumer<String> onError) {
        exec.execute(() -> {
            try {
                T v = task.call();
                if (onSuccess != null) SwingUtilities.invokeLater(() -> onSuccess.accept(v));
            } catch (Exception e) {
                String msg = message(e);
                log.info("UI action failed: {}", msg);
                if (onError != null) SwingUtilities.invokeLater(() -> onError.accept(msg));
            }
        });
    }

    /** Fire and forget; a failure is only logged and reported to {@code onError} when given. */
    public void run(Task<?> task) {
        run(task, null, null);
    }

    public static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** Waits until everything queued so far ran (tests, orderly shutdown). */
    public void drain() {
        try {
            exec.submit(() -> { }).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();   // the caller is being stopped: let it see that
        } catch (ExecutionException | TimeoutException
                 | RejectedExecutionException e) {
            // closed, or a task still running after 30 s: draining is best effort
        }
    }

    @Override
    public void close() {
        exec.shutdown();
    }
}
