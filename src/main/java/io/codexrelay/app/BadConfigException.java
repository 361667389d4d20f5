package io.codexrelay.app;

/**
 * The relay's {@code config.toml} is wrong (or cannot be created): the user must fix the file, so the CLI answers it
 * with the usage exit code rather than as a failed action.
 */
public final class BadConfigException extends ControlException {
    public BadConfigException(String message, Throwable cause) { super(message, cause); }
}
