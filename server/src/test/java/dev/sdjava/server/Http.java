package dev.sdjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sdjava.SdImage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import javax.imageio.ImageIO;

/** A JDK HttpClient against one test server on loopback. */
record Http(HttpClient client, String base, String key) {
    static final ObjectMapper JSON = new ObjectMapper();

    static Http of(SdServer s) {
        return of(s, null);
    }

    static Http of(SdServer s, String key) {
        return new Http(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(), "http://127.0.0.1:" + s.port(), key);
    }

    record Res(int status, String body, java.net.http.HttpHeaders headers) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    Res get(String path) {
        return send(req(path).GET().build());
    }

    Res post(String path, String body) {
        return send(req(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    Res post(String path, byte[] body) {
        return send(req(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    Res post(String path, String contentType, byte[] body) {
        return send(req(path).header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** A multipart/form-data POST of {@code form}. */
    Res post(String path, FormDataTest.Body form) {
        return post(path, form.contentType(), form.end());
    }

    HttpRequest.Builder req(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(300));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return b;
    }

    Res send(HttpRequest r) {
        try {
            HttpResponse<String> res = client.send(r, HttpResponse.BodyHandlers.ofString());
            return new Res(res.statusCode(), res.body(), res.headers());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Polls a job until it is no longer queued or generating. */
    JsonNode awaitJob(String id, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            JsonNode j = get("/sdcpp/v1/jobs/" + id).json();
            String s = j.get("status").asText();
            if (!s.equals("queued") && !s.equals("generating")) {
                return j;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("job " + id + " did not finish in " + timeout);
    }

    static SdImage image(String b64) {
        try {
            return SdImage.fromBufferedImage(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b64))), 3);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
