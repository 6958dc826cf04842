package dev.sdjava.server;

/** A request the server refuses with 400 and {@code {"error": message}}. */
final class BadRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** sd-server's second field for some errors ({"error": "invalid json", "message": detail}), or null. */
    final String detail;

    BadRequest(String message) {
        this(message, null);
    }

    BadRequest(String message, String detail) {
        super(message, null, false, false);
        this.detail = detail;
    }
}
