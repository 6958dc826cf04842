package dev.sdjava.server;

import dev.sdjava.GenerationRequest;
import dev.sdjava.SdImage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OpenAI's own Python client ({@code openai} from PyPI, in a venv under ~/.cache/sdjava that this
 * test makes once with pip) against the server: {@code images.generate} with {@code b64_json}
 * gives the core API's pixels, and the bearer key is what the client sends; {@code images.edit}
 * (multipart) gives the core API's img2img and inpainting pixels.
 */
class OpenAiPythonClientTest {
    static final String OPENAI_VERSION = "3.51.0";

    @TempDir
    Path tmp;

    /** The venv's python, made on first use; null (test skipped) only outside CI when pip cannot reach PyPI. */
    static synchronized Path python() throws IOException, InterruptedException {
        Path venv = Path.of(System.getProperty("user.home"), ".cache", "sdjava", "pyenv-openai-" + OPENAI_VERSION);
        Path py = venv.resolve("bin").resolve("python");
        if (Files.isExecutable(py) && run(List.of(py.toString(), "-c", "import openai"), null) == 0) {
            return py;
        }
        Path log = Files.createTempFile("pip-openai", ".log");
        int rc = run(List.of("python3", "-m", "venv", "--clear", venv.toString()), log);
        if (rc == 0) {
            rc = run(List.of(venv.resolve("bin/pip").toString(), "install", "-q", "openai==" + OPENAI_VERSION), log);
        }
        if (rc != 0) {
            String why = "could not install openai==" + OPENAI_VERSION + " with pip:\n" + Files.readString(log);
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why);
            }
            Assumptions.abort(why);
        }
        return py;
    }

    private static int run(List<String> cmd, Path log) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectOutput(log == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    @Test
    void imagesGenerateB64JsonEqualsCore() throws Exception {
        Path py = python();
        try (SdServer server = TestServers.start(b -> b.apiKey("sk-test-key"))) {
            Path script = tmp.resolve("client.py");
            Files.writeString(script, """
                    import base64, sys
                    from openai import OpenAI
                    client = OpenAI(base_url=sys.argv[1], api_key="sk-test-key", max_retries=0, timeout=300)
                    models = client.models.list()
                    print("models", [m.id for m in models.data])
                    r = client.images.generate(model="sd-cpp-local", n=1, size="64x64", response_format="b64_json",
                        prompt='a red fox <sd_cpp_extra_args>{"seed":7,"sample_params":{"sample_steps":2}}</sd_cpp_extra_args>')
                    open(sys.argv[2], "wb").write(base64.b64decode(r.data[0].b64_json))
                    print("created", r.created)
                    try:
                        OpenAI(base_url=sys.argv[1], api_key="wrong", max_retries=0).models.list()
                        print("no error with a wrong key")
                    except Exception as e:
                        print("wrong key:", type(e).__name__)
                    """);
            Path png = tmp.resolve("out.png");
            Path log = tmp.resolve("client.log");
            int rc = run(List.of(py.toString(), script.toString(), "http://127.0.0.1:" + server.port() + "/v1", png.toString()), log);
            String out = Files.readString(log);
            assertEquals(0, rc, out);
            assertTrue(out.contains("models ['sd-cpp-local']"), out);
            assertTrue(out.contains("wrong key: AuthenticationError"), out);
            SdImage got = SdImage.read(png, 3);
            SdImage want = TestServers.core(GenerationRequest.builder("a red fox ").size(64, 64).steps(2).seed(7).build()).getFirst();
            assertArrayEquals(want.pixels(), got.pixels(), "the openai client's image differs from the core API's");
        }
    }

    /**
     * {@code images.edit}: one image file (sent as {@code image}), then a list of two with a mask
     * (sent as {@code image[]} and {@code mask}): the server's images equal the core API's
     * img2img / inpainting for the same parameters.
     */
    @Test
    void imagesEditEqualsCore() throws Exception {
        Path py = python();
        SdImage init = dev.sdjava.Fixtures.gradient(64, 64);
        SdImage mask = SdServerTest.centreMask();
        Files.write(tmp.resolve("in.png"), init.toPng());
        Files.write(tmp.resolve("mask.png"), mask.toPng());
        try (SdServer server = TestServers.start(b -> b)) {
            Path script = tmp.resolve("edit.py");
            Files.writeString(script, """
                    import base64, sys
                    from openai import OpenAI
                    client = OpenAI(base_url=sys.argv[1], api_key="unused", max_retries=0, timeout=300)
                    d = sys.argv[2]
                    with open(d + "/in.png", "rb") as image:
                        r = client.images.edit(model="sd-cpp-local", image=image, response_format="b64_json",
                            prompt='a castle <sd_cpp_extra_args>{"seed":5,"sample_params":{"sample_steps":2}}</sd_cpp_extra_args>')
                    open(d + "/edit1.png", "wb").write(base64.b64decode(r.data[0].b64_json))
                    print("edit1", r.output_format, len(r.data))
                    with open(d + "/in.png", "rb") as a, open(d + "/in.png", "rb") as b, open(d + "/mask.png", "rb") as m:
                        r = client.images.edit(model="sd-cpp-local", image=[a, b], mask=m, n=2, size="64x64",
                            prompt='a tower <sd_cpp_extra_args>{"seed":9,"strength":0.5,"sample_params":{"sample_steps":2}}</sd_cpp_extra_args>')
                    for i, im in enumerate(r.data):
                        open(d + "/edit2-%d.png" % i, "wb").write(base64.b64decode(im.b64_json))
                    print("edit2", r.output_format, len(r.data))
                    """);
            Path log = tmp.resolve("edit.log");
            int rc = run(List.of(py.toString(), script.toString(), "http://127.0.0.1:" + server.port() + "/v1", tmp.toString()), log);
            String out = Files.readString(log);
            assertEquals(0, rc, out);
            assertTrue(out.contains("edit1 png 1"), out);
            assertTrue(out.contains("edit2 png 2"), out);
            SdImage want1 = TestServers.core(GenerationRequest.builder("a castle ").initImage(init).referenceImages(List.of(init))
                    .size(64, 64).steps(2).seed(5).build()).getFirst();
            assertArrayEquals(want1.pixels(), SdImage.read(tmp.resolve("edit1.png"), 3).pixels(), "images.edit(image=one file)");
            List<SdImage> want2 = TestServers.core(GenerationRequest.builder("a tower ").initImage(init).mask(mask)
                    .referenceImages(List.of(init, init)).size(64, 64).strength(0.5f).steps(2).seed(9).batchCount(2).build());
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(want2.get(i).pixels(), SdImage.read(tmp.resolve("edit2-" + i + ".png"), 3).pixels(),
                        "images.edit(image=[two files], mask=...) image " + i);
            }
        }
    }
}
