package dev.sdjava.server;

import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartConfig;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * A {@code multipart/form-data} request body (untrusted), parsed by Jetty's own
 * {@link MultiPartFormData.Parser} and split as cpp-httplib splits it for sd-server: a part with a
 * non-empty {@code filename} is a file, any other named part a text field.
 *
 * <p>Bounded: the body is read under the server's body limit first (413 past it, as the JSON
 * routes), then parsed in memory with a {@link MultiPartConfig} that allows at most
 * {@link #MAX_PARTS} parts, part headers of at most {@link #MAX_PART_HEADERS} bytes, and keeps every
 * part in memory (no temporary files: the memory threshold equals the largest part allowed, the
 * body limit). A missing boundary, a truncated or malformed body, or too many parts is a
 * {@link BadRequest}.
 */
final class FormData {
    /** Most parts in one body (cpp-httplib allows 1024). */
    static final int MAX_PARTS = 64;
    /** Largest headers of one part, in bytes. */
    static final int MAX_PART_HEADERS = 8 * 1024;

    private final Map<String, List<String>> fields = new LinkedHashMap<>();
    private final Map<String, List<byte[]>> files = new LinkedHashMap<>();

    private FormData() {
    }

    /** Whether {@code contentType} is {@code multipart/form-data}: it starts with that, as cpp-httplib tests, in any letter case. */
    static boolean isFormData(String contentType) {
        return contentType != null && contentType.regionMatches(true, 0, "multipart/form-data", 0, 19);
    }

    /** The request's body as form data: BadRequest if it is not multipart/form-data or is malformed, TooLarge past the limit. */
    static FormData read(Exchange ex, long maxBody) throws IOException {
        String type = ex.header(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE);
        if (!isFormData(type)) {
            throw new BadRequest("Content-Type must be multipart/form-data");
        }
        String boundary = boundary(type);
        return parse(boundary, ex.body(), maxBody);
    }

    /** The boundary parameter of a multipart/form-data content type, or a BadRequest. */
    static String boundary(String contentType) {
        String b = MultiPart.extractBoundary(contentType);
        if (b == null || b.isEmpty()) {
            throw new BadRequest("multipart/form-data without a boundary parameter");
        }
        if (b.length() > 70) {
            throw new BadRequest("multipart/form-data boundary longer than 70 characters (RFC 2046)");
        }
        return b;
    }

    /** Parses {@code body} (at most {@code maxBody} bytes, already checked) with {@code boundary}. */
    static FormData parse(String boundary, byte[] body, long maxBody) {
        MultiPartConfig config = new MultiPartConfig.Builder()
                .maxParts(MAX_PARTS)
                .maxSize(maxBody)
                .maxPartSize(maxBody)
                .maxMemoryPartSize(maxBody)
                .maxHeadersSize(MAX_PART_HEADERS)
                .useFilesForPartsWithoutFileName(false)
                .build();
        MultiPartFormData.Parser parser = new MultiPartFormData.Parser(boundary);
        parser.configure(config);
        FormData form = new FormData();
        try (MultiPartFormData.Parts parts = parser.parse(Content.Source.from(ByteBuffer.wrap(body))).get()) {
            for (MultiPart.Part part : parts) {
                String name = part.getName();
                if (name == null) {
                    continue;
                }
                byte[] bytes = bytes(part);
                String fileName = part.getFileName();
                if (fileName != null && !fileName.isEmpty()) {
                    form.files.computeIfAbsent(name, k -> new ArrayList<>()).add(bytes);
                } else {
                    form.fields.computeIfAbsent(name, k -> new ArrayList<>()).add(new String(bytes, StandardCharsets.UTF_8));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BadRequest("interrupted while reading multipart/form-data");
        } catch (ExecutionException | IOException | RuntimeException e) {
            if (e instanceof BadRequest b) {
                throw b;
            }
            Throwable cause = (e instanceof ExecutionException || e instanceof java.util.concurrent.CompletionException) && e.getCause() != null ? e.getCause() : e;
            throw new BadRequest("malformed multipart/form-data: " + describe(cause));
        }
        return form;
    }

    private static byte[] bytes(MultiPart.Part part) throws IOException {
        ByteBuffer b = Content.Source.asByteBuffer(part.createContentSource());
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        if (t instanceof java.io.EOFException) {
            return m != null && m.contains("PREAMBLE") ? "no part starts with the boundary of the Content-Type"
                    : "the body ends before the closing boundary";
        }
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** The first text field {@code name}, or null. */
    String field(String name) {
        List<String> v = fields.get(name);
        return v == null ? null : v.getFirst();
    }

    /** Every file part {@code name}, in body order (empty if none). */
    List<byte[]> files(String name) {
        return files.getOrDefault(name, List.of());
    }
}
