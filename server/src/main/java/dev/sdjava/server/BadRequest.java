package dev.sdjava.server;

/** A request the server refuses with 400 and {@code {"error": message}}. */
final class BadRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadRequest(String message) {
        super(message, null, false, false);
    }
}
