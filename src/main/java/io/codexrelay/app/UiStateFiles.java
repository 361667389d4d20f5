package io.codexrelay.app;

import io.codexrelay.config.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;

/** Writes the small files the UI keeps in the relay home (window sizes) the way every file there is written. */
public final class UiStateFiles {
    private UiStateFiles() {}

    /** Temp file in the same directory, fsync, atomic rename; {@code privateFile} = mode 0600. */
    public static void write(Path file, String text, boolean privateFile) throws IOException {
        AtomicFiles.writeString(file, text, privateFile);
    }
}
