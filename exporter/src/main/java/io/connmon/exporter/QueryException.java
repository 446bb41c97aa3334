package io.connmon.exporter;

/** A query parameter that is unknown or has a bad value; the message is one line naming it. */
public final class QueryException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String parameter;
    private final String accepts;

    public QueryException(String parameter, String message, String accepts) {
        super(message);
        this.parameter = parameter;
        this.accepts = accepts;
    }

    /** The parameter at fault. */
    public String parameter() {
        return parameter;
    }

    /** What the parameter accepts, in words. */
    public String accepts() {
        return accepts;
    }
}
