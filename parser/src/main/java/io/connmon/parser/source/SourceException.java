package io.connmon.parser.source;

/** A source could read nothing at all. The message is one line fit for a log or an HTTP status text. */
public class SourceException extends Exception {
    private static final long serialVersionUID = 1L;

    public SourceException(String message) {
        super(message);
    }

    public SourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
