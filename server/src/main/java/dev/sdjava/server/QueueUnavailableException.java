package dev.sdjava.server;

/** The job queue cannot be reached or cannot take this job now (answered 503). */
final class QueueUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    QueueUnavailableException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
