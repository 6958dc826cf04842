package dev.sdjava.server;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FormData} on its own (no model): cpp-httplib's field/file split, and malformed bodies as 400s. */
class FormDataTest {
    static final String B = "sdjava-test-boundary";

    /** A multipart/form-data body builder for the tests. */
    static final class Body {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final String boundary;

        Body(String boundary) {
            this.boundary = boundary;
        }

        Body field(String name, String value) {
            head("form-data; name=\"" + name + "\"", null);
            write(value.getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Body file(String name, String fileName, String type, byte[] content) {
            head("form-data; name=\"" + name + "\"; filename=\"" + fileName + "\"", type);
            write(content);
            return this;
        }

        private void head(String disposition, String type) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: " + disposition + "\r\n"
                    + (type == null ? "" : "Content-Type: " + type + "\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }

        private void write(byte[] b) {
            out.writeBytes(b);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }

        byte[] end() {
            out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
            return out.toByteArray();
        }

        /** The body so far, without the closing boundary. */
        byte[] unterminated() {
            return out.toByteArray();
        }

        String contentType() {
            return "multipart/form-data; boundary=" + boundary;
        }
    }

    private static String message(Runnable r) {
        return assertThrows(BadRequest.class, r::run).getMessage();
    }

    @Test
    void splitsFieldsAndFilesAsHttplib() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2, 3};
        byte[] body = new Body(B).field("prompt", "a fox \u00e9").field("n", "2").file("image[]", "a.png", "image/png", png)
                .file("image[]", "b.png", "image/png", new byte[] {9}).file("mask", "", null, new byte[] {7})
                .file("image", "c.png", null, new byte[0]).end();
        FormData f = FormData.parse(FormData.boundary("multipart/form-data; boundary=" + B), body, 1 << 20);
        assertEquals("a fox \u00e9", f.field("prompt"));
        assertEquals("2", f.field("n"));
        assertNull(f.field("size"));
        List<byte[]> images = f.files("image[]");
        assertEquals(2, images.size());
        assertArrayEquals(png, images.get(0));
        assertArrayEquals(new byte[] {9}, images.get(1));
        assertEquals(1, f.files("image").size(), "an empty file is still a file");
        assertTrue(f.files("mask").isEmpty(), "a part with an empty filename is a text field, as cpp-httplib");
        assertEquals("\u0007", f.field("mask"));
    }

    @Test
    void contentTypesAndBoundaries() {
        assertTrue(FormData.isFormData("multipart/form-data; boundary=x"));
        assertTrue(FormData.isFormData("Multipart/Form-Data;boundary=x"));
        assertFalse(FormData.isFormData("application/json"));
        assertFalse(FormData.isFormData(null));
        assertEquals("abc", FormData.boundary("multipart/form-data; boundary=\"abc\""));
        assertTrue(message(() -> FormData.boundary("multipart/form-data")).contains("without a boundary"));
        assertTrue(message(() -> FormData.boundary("multipart/form-data; boundary=" + "x".repeat(71))).contains("longer than 70"));
    }

    @Test
    void malformedBodiesAreBadRequests() {
        Body b = new Body(B).field("prompt", "x").file("image", "a.png", "image/png", new byte[100]);
        byte[] whole = b.end();
        String truncated = message(() -> FormData.parse(B, Arrays.copyOf(whole, whole.length - 30), 1 << 20));
        assertTrue(truncated.contains("the body ends before the closing boundary"), truncated);
        String noEnd = message(() -> FormData.parse(B, new Body(B).field("prompt", "x").unterminated(), 1 << 20));
        assertTrue(noEnd.startsWith("malformed multipart/form-data"), noEnd);
        String other = message(() -> FormData.parse("another-boundary", whole, 1 << 20));
        assertTrue(other.contains("no part starts with the boundary"), other);
        String garbage = message(() -> FormData.parse(B, "just some text".getBytes(StandardCharsets.US_ASCII), 1 << 20));
        assertTrue(garbage.startsWith("malformed multipart/form-data"), garbage);
        String empty = message(() -> FormData.parse(B, new byte[0], 1 << 20));
        assertTrue(empty.startsWith("malformed multipart/form-data"), empty);
        Body many = new Body(B);
        for (int i = 0; i <= FormData.MAX_PARTS; i++) {
            many.field("f" + i, "v");
        }
        String tooMany = message(() -> FormData.parse(B, many.end(), 1 << 20));
        assertTrue(tooMany.contains("too many"), tooMany);
        Body bigHeader = new Body(B).field("x".repeat(FormData.MAX_PART_HEADERS + 10), "v");
        String header = message(() -> FormData.parse(B, bigHeader.end(), 1 << 20));
        assertTrue(header.contains("headers max length exceeded"), header);
    }
}
