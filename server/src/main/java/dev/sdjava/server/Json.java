package dev.sdjava.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/**
 * The one JSON reader for request bodies, which are untrusted: nesting, number and name lengths
 * are bounded (a body's size is bounded by the listener), duplicate keys and trailing data are
 * errors, and anything Jackson rejects becomes a {@link BadRequest}.
 */
final class Json {
    static final ObjectMapper MAPPER;

    static {
        JsonFactory f = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(32)
                        .maxNumberLength(64)
                        .maxNameLength(256)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        MAPPER = new ObjectMapper(f);
        MAPPER.enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    private Json() {
    }

    static JsonNode parse(byte[] body) {
        try (JsonParser p = MAPPER.createParser(body)) {
            JsonNode n = MAPPER.readTree(p);
            if (n == null || n.isMissingNode()) {
                throw new BadRequest("empty body");
            }
            if (p.nextToken() != null) {
                throw new BadRequest("invalid json", "trailing data after the value");
            }
            return n;
        } catch (IOException e) {
            throw new BadRequest("invalid json", e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage());
        }
    }

    /** The body as a JSON object, or a BadRequest. */
    static ObjectNode object(byte[] body) {
        if (body.length == 0) {
            throw new BadRequest("empty body");
        }
        JsonNode n = parse(body);
        if (!(n instanceof ObjectNode o)) {
            throw new BadRequest("the body must be a JSON object");
        }
        return o;
    }
}
