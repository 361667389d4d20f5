package io.codexrelay.convert;

/**
 * The input cannot be expressed in the target dialect (or is not valid input at all). The message is meant for the
 * client: it says what was wrong and what to send instead. Maps to HTTP 400 in the client's dialect.
 */
public final class ConversionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConversionException(String message) {
        super(message);
    }
}
