package io.connmon.exporter.web;

/** A web configuration file that cannot be used; the message is one line and never holds a secret. */
public final class WebConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public WebConfigException(String message) {
        super(message);
    }
}
