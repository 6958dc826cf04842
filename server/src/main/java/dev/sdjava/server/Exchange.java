package dev.sdjava.server;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.regex.Matcher;

/** One request and its response, as the routes see them: Jetty's three objects behind a few blocking calls. */
final class Exchange {
    /** The body is larger than the server's limit: answered 413. */
    static final class TooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooLarge(long limit) {
            super("request body larger than " + limit + " bytes", null, false, false);
        }
    }

    final Request req;
    final Response res;
    final Callback done;
    private final long maxBody;
    Matcher path;
    private boolean answered;

    Exchange(Request req, Response res, Callback done, long maxBody) {
        this.req = req;
        this.res = res;
        this.done = done;
        this.maxBody = maxBody;
    }

    String method() {
        return req.getMethod();
    }

    String path() {
        return Request.getPathInContext(req);
    }

    /** A path parameter (a group of the route's pattern). */
    String param(int group) {
        return path.group(group);
    }

    String header(HttpHeader h) {
        return req.getHeaders().get(h);
    }

    void header(String name, String value) {
        res.getHeaders().put(name, value);
    }

    boolean answered() {
        return answered;
    }

    /** The whole body, at most the server's limit (TooLarge past it, whatever Content-Length says). */
    byte[] body() throws IOException {
        long declared = req.getLength();
        byte[] buf = new byte[16 * 1024];
        try (InputStream in = Content.Source.asInputStream(req)) {
            if (declared > maxBody) {
                throw tooLarge(in, buf);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 256);
            for (int n; (n = in.read(buf)) >= 0; ) {
                if (out.size() + n > maxBody) {
                    throw tooLarge(in, buf);
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }

    /**
     * Reads and drops up to {@value #DRAIN_BYTES} more bytes of an oversized body before the 413:
     * a connection closed with input still unread is reset, and the reset can destroy the answer
     * before a client that is still sending reads it. Bodies larger than that are cut off.
     */
    private TooLarge tooLarge(InputStream in, byte[] buf) throws IOException {
        long dropped = 0;
        for (int n; dropped < DRAIN_BYTES && (n = in.read(buf)) >= 0; ) {
            dropped += n;
        }
        return new TooLarge(maxBody);
    }

    private static final long DRAIN_BYTES = 1 << 20;

    /** Answers with {@code bytes}; the response completes asynchronously. */
    void send(int status, String contentType, byte[] bytes) {
        answered = true;
        res.setStatus(status);
        res.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        res.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        res.write(true, ByteBuffer.wrap(bytes), done);
    }

    /** Starts a streamed answer; closing the stream ends the response. */
    OutputStream stream(int status, String contentType) {
        answered = true;
        res.setStatus(status);
        res.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        res.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        OutputStream out = Content.Sink.asOutputStream(res);
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                try {
                    out.close();
                    done.succeeded();
                } catch (IOException | RuntimeException e) {
                    done.failed(e);
                    throw e;
                }
            }
        };
    }

    /**
     * Lets this connection stay quiet for {@code d}: the connector's idle timeout, which drops
     * stalled clients, would otherwise also end a request waiting minutes for its generation.
     */
    void allowQuiet(Duration d) {
        EndPoint ep = req.getConnectionMetaData().getConnection().getEndPoint();
        ep.setIdleTimeout(Math.max(ep.getIdleTimeout(), d.toMillis()));
    }
}
