package dev.sdjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdjava.CacheMode;
import dev.sdjava.CacheParams;
import dev.sdjava.Fixtures;
import dev.sdjava.GenerationRequest;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;
import dev.sdjava.SdImage;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The routes against the shared SD1 context on loopback, driven with the JDK HttpClient: every
 * image must have the pixels the core API makes for the same parameters.
 */
class SdServerTest {
    private final Http http = Http.of(TestServers.shared());

    @Test
    void openAiGenerationWithExtraArgsEqualsCore() {
        Http.Res r = http.post("/v1/images/generations", """
                {"model":"sd-cpp-local","prompt":"a red fox <sd_cpp_extra_args>{\\"seed\\":7,\\"sample_params\\":{\\"sample_steps\\":2}}</sd_cpp_extra_args>",
                 "n":1,"size":"64x64","response_format":"b64_json"}""");
        assertEquals(200, r.status(), r.body());
        JsonNode j = r.json();
        assertEquals("png", j.get("output_format").asText());
        assertTrue(j.get("created").asLong() > 1_600_000_000L);
        assertEquals(1, j.get("data").size());
        SdImage got = Http.image(j.get("data").get(0).get("b64_json").asText());
        SdImage want = TestServers.core(GenerationRequest.builder("a red fox ").size(64, 64).steps(2).seed(7).build()).getFirst();
        assertArrayEquals(want.pixels(), got.pixels(), "OpenAI route's pixels differ from the core API's");
    }

    /** Every txt2img field of api.md's sdapi table that this model can use. */
    @Test
    void sdapiTxt2imgBatchEqualsCore() {
        Http.Res r = http.post("/sdapi/v1/txt2img", """
                {"prompt":"a lighthouse","negative_prompt":"blurry","width":64,"height":64,"steps":2,"cfg_scale":5.0,
                 "seed":11,"batch_size":2,"clip_skip":-1,"sampler_name":"Euler","scheduler":"karras","lora":[],"extra_images":[],
                 "enable_hr":false}""");
        assertEquals(200, r.status(), r.body());
        JsonNode j = r.json();
        assertEquals("", j.get("info").asText());
        assertEquals("a lighthouse", j.get("parameters").get("prompt").asText(), "parameters echo the request body");
        assertEquals(2, j.get("images").size());
        List<SdImage> want = TestServers.core(GenerationRequest.builder("a lighthouse").negativePrompt("blurry").size(64, 64).steps(2)
                .cfgScale(5).seed(11).batchCount(2).samplingMethod(SamplingMethod.EULER).scheduler(Scheduler.KARRAS).build());
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(want.get(i).pixels(), Http.image(j.get("images").get(i).asText()).pixels(), "image " + i);
        }
    }

    @Test
    void sdapiImg2imgEqualsCore() {
        SdImage init = Fixtures.gradient(64, 64);
        String b64 = "data:image/png;base64," + Base64.getEncoder().encodeToString(init.toPng());
        Http.Res r = http.post("/sdapi/v1/img2img", """
                {"prompt":"a castle","init_images":["%s"],"denoising_strength":0.6,"steps":2,"seed":5,"sampler_name":"euler_a"}"""
                .formatted(b64));
        assertEquals(200, r.status(), r.body());
        SdImage want = TestServers.core(GenerationRequest.builder("a castle").initImage(init).size(64, 64).strength(0.6f).steps(2).seed(5)
                .samplingMethod(SamplingMethod.EULER_A).build()).getFirst();
        assertArrayEquals(want.pixels(), Http.image(r.json().get("images").get(0).asText()).pixels());
    }

    /** The 64x64 gradient as a PNG file, and a centre-square mask (white repaints). */
    static final SdImage EDIT_INIT = Fixtures.gradient(64, 64);

    static SdImage centreMask() {
        byte[] m = new byte[64 * 64];
        for (int y = 16; y < 48; y++) {
            for (int x = 16; x < 48; x++) {
                m[y * 64 + x] = (byte) 255;
            }
        }
        return new SdImage(64, 64, 1, m);
    }

    /**
     * OpenAI edits as sd-server maps them: the one {@code image} file is the init image (img2img
     * at the default strength 0.75) and a reference image; the size comes from the image. SD1
     * does not use reference images, so the result is plain img2img, what {@code sdj generate
     * --init-img} makes.
     */
    @Test
    void openAiEditEqualsCoreImg2img() {
        Http.Res r = http.post("/v1/images/edits", new FormDataTest.Body("edit-1")
                .file("image", "in.png", "image/png", EDIT_INIT.toPng())
                .field("prompt", "a castle <sd_cpp_extra_args>{\"seed\":5,\"sample_params\":{\"sample_steps\":2}}</sd_cpp_extra_args>")
                .field("model", "sd-cpp-local").field("response_format", "b64_json"));
        assertEquals(200, r.status(), r.body());
        JsonNode j = r.json();
        assertEquals("png", j.get("output_format").asText());
        assertTrue(j.get("created").asLong() > 1_600_000_000L);
        assertEquals(1, j.get("data").size());
        SdImage want = TestServers.core(GenerationRequest.builder("a castle ").initImage(EDIT_INIT).size(64, 64).steps(2).seed(5).build())
                .getFirst();
        assertArrayEquals(want.pixels(), Http.image(j.get("data").get(0).get("b64_json").asText()).pixels(),
                "the edit's pixels differ from the core API's img2img");
    }

    /** image[] twice (the first is the init image, both are references), a mask, n=2, size, strength via extra args, JPEG out. */
    @Test
    void openAiEditWithMaskBatchAndJpegEqualsCore() {
        SdImage second = Fixtures.gradient(32, 48);
        SdImage mask = centreMask();
        Http.Res r = http.post("/v1/images/edits", new FormDataTest.Body("edit-2")
                .field("prompt", "a tower <sd_cpp_extra_args>{\"seed\":9,\"strength\":0.5,\"sample_params\":{\"sample_steps\":2}}</sd_cpp_extra_args>")
                .file("image[]", "a.png", "image/png", EDIT_INIT.toPng())
                .file("image[]", "b.png", "image/png", second.toPng())
                .file("mask", "mask.png", "image/png", mask.toPng())
                .field("n", "2").field("output_format", "jpeg").field("output_compression", "90"));
        assertEquals(200, r.status(), r.body());
        JsonNode j = r.json();
        assertEquals("jpeg", j.get("output_format").asText());
        assertEquals(2, j.get("data").size());
        List<SdImage> want = TestServers.core(GenerationRequest.builder("a tower ").initImage(EDIT_INIT).mask(mask)
                .referenceImages(List.of(EDIT_INIT, second)).size(64, 64).strength(0.5f).steps(2).seed(9).batchCount(2).build());
        for (int i = 0; i < 2; i++) {
            byte[] jpeg = Base64.getDecoder().decode(j.get("data").get(i).get("b64_json").asText());
            assertArrayEquals(Codecs.jpeg(want.get(i), 90), jpeg, "image " + i + ": the core's pixels encoded the same way");
        }
    }

    /** api.md's img_gen example body, at 64x64 and 2 steps with a fixed seed. */
    @Test
    void sdcppExampleBodyJobEqualsCore() {
        String body = """
                {
                  "prompt": "a cat sitting on a chair", "negative_prompt": "", "clip_skip": -1,
                  "width": 64, "height": 64, "strength": 0.75, "seed": 3, "batch_count": 1,
                  "auto_resize_ref_image": true, "increase_ref_index": false, "control_strength": 0.9,
                  "embed_image_metadata": true,
                  "init_image": null, "ref_images": [], "mask_image": null, "control_image": null,
                  "sample_params": {
                    "scheduler": "discrete", "sample_method": "euler_a", "sample_steps": 2, "eta": 1.0,
                    "shifted_timestep": 0, "custom_sigmas": [], "flow_shift": 0.0,
                    "guidance": {"txt_cfg": 7.0, "img_cfg": 7.0, "distilled_guidance": 3.5,
                                 "slg": {"layers": [7, 8, 9], "layer_start": 0.01, "layer_end": 0.2, "scale": 0.0}}
                  },
                  "lora": [],
                  "hires": {"enabled": false, "upscaler": "Latent", "scale": 2.0, "target_width": 0, "target_height": 0,
                            "steps": 0, "denoising_strength": 0.7, "upscale_tile_size": 128},
                  "vae_tiling_params": {"enabled": false, "tile_size_x": 0, "tile_size_y": 0, "target_overlap": 0.5,
                                        "rel_size_x": 0.0, "rel_size_y": 0.0},
                  "cache_mode": "disabled", "cache_option": "", "scm_mask": "", "scm_policy_dynamic": true,
                  "output_format": "png", "output_compression": 100
                }""";
        Http.Res r = http.post("/sdcpp/v1/img_gen", body);
        assertEquals(202, r.status(), r.body());
        JsonNode sub = r.json();
        String id = sub.get("id").asText();
        assertTrue(id.matches("job_[0-9a-f]+_[0-9a-f]{8}"), id);
        assertEquals("img_gen", sub.get("kind").asText());
        assertEquals("queued", sub.get("status").asText());
        assertEquals("/sdcpp/v1/jobs/" + id, sub.get("poll_url").asText());
        JsonNode job = http.awaitJob(id, Duration.ofMinutes(2));
        assertEquals("completed", job.get("status").asText(), job.toString());
        for (String f : List.of("id", "kind", "status", "created", "started", "completed", "queue_position", "result", "error")) {
            assertTrue(job.has(f), "job JSON has " + f);
        }
        assertTrue(job.get("error").isNull());
        JsonNode img = job.get("result").get("images").get(0);
        assertEquals(0, img.get("index").asInt());
        SdImage want = TestServers.core(GenerationRequest.builder("a cat sitting on a chair").size(64, 64).steps(2).seed(3)
                .samplingMethod(SamplingMethod.EULER_A).scheduler(Scheduler.DISCRETE).eta(1.0f).flowShift(0f).imageCfgScale(7f)
                .cfgScale(7f).distilledGuidance(3.5f).strength(0.75f).controlStrength(0.9f).shiftedTimestep(0).build()).getFirst();
        assertArrayEquals(want.pixels(), Http.image(img.get("b64_json").asText()).pixels());
        assertTrue(img.get("parameters").asText().startsWith("a cat sitting on a chair\n"), img.toString());
    }

    /** A job with sd-server's step-cache fields: the core's pixels with the same CacheParams (ucache skips steps here). */
    @Test
    void stepCacheFieldsReachTheCore() {
        String body = """
                {"prompt": "a red fox", "width": 64, "height": 64, "seed": 42,
                 "sample_params": {"sample_method": "euler", "sample_steps": 8},
                 "cache_mode": "ucache", "cache_option": "threshold=1.5,start=0.2,end=0.9"}""";
        Http.Res r = http.post("/sdcpp/v1/img_gen", body);
        assertEquals(202, r.status(), r.body());
        JsonNode job = http.awaitJob(r.json().get("id").asText(), Duration.ofMinutes(2));
        assertEquals("completed", job.get("status").asText(), job.toString());
        GenerationRequest plain = GenerationRequest.builder("a red fox").size(64, 64).seed(42).steps(8)
                .samplingMethod(SamplingMethod.EULER).build();
        SdImage cached = TestServers.core(plain.toBuilder().cache(CacheParams.builder().mode(CacheMode.UCACHE).reuseThreshold(1.5f)
                .startPercent(0.2f).endPercent(0.9f).build()).build()).getFirst();
        SdImage got = Http.image(job.get("result").get("images").get(0).get("b64_json").asText());
        assertArrayEquals(cached.pixels(), got.pixels());
        assertFalse(Arrays.equals(TestServers.core(plain).getFirst().pixels(), got.pixels()),
                "the cache changed nothing: was it applied?");
    }

    /** A running job is cancelled at once; the context then serves the next job normally. */
    @Test
    void cancelsRunningAndQueuedJobs() throws Exception {
        String slow = "{\"prompt\":\"slow\",\"width\":64,\"height\":64,\"seed\":1,\"sample_params\":{\"sample_steps\":12}}";
        String a = http.post("/sdcpp/v1/img_gen", slow).json().get("id").asText();
        String b = http.post("/sdcpp/v1/img_gen", slow).json().get("id").asText();
        awaitStatus(a, "generating");
        JsonNode qb = http.get("/sdcpp/v1/jobs/" + b).json();
        assertEquals("queued", qb.get("status").asText());
        assertEquals(1, qb.get("queue_position").asInt());

        Http.Res cb = http.post("/sdcpp/v1/jobs/" + b + "/cancel", "");
        assertEquals(200, cb.status(), cb.body());
        assertEquals("cancelled", cb.json().get("status").asText());
        assertTrue(cb.json().get("started").isNull(), "a queued job never started");

        Http.Res ca = http.post("/sdcpp/v1/jobs/" + a + "/cancel", "");
        assertEquals(200, ca.status(), ca.body());
        JsonNode ja = ca.json();
        assertEquals("cancelled", ja.get("status").asText());
        assertEquals("cancelled", ja.get("error").get("code").asText());
        assertFalse(ja.get("started").isNull());
        assertEquals("cancelled", http.get("/sdcpp/v1/jobs/" + a).json().get("status").asText(), "stays cancelled");
        assertEquals(200, http.post("/sdcpp/v1/jobs/" + a + "/cancel", "").status(), "cancelling again answers the job");

        String c = http.post("/sdcpp/v1/img_gen", "{\"prompt\":\"after\",\"width\":64,\"height\":64,\"seed\":2,\"sample_params\":{\"sample_steps\":2}}")
                .json().get("id").asText();
        JsonNode jc = http.awaitJob(c, Duration.ofMinutes(2));
        assertEquals("completed", jc.get("status").asText(), jc.toString());
        SdImage want = TestServers.core(GenerationRequest.builder("after").size(64, 64).steps(2).seed(2).build()).getFirst();
        assertArrayEquals(want.pixels(), Http.image(jc.get("result").get("images").get(0).get("b64_json").asText()).pixels());
        assertEquals(404, http.post("/sdcpp/v1/jobs/job_0_00000000/cancel", "").status());
    }

    @Test
    void streamsProgressPreviewsAndTheResult() throws Exception {
        String id = http.post("/sdcpp/v1/img_gen", "{\"prompt\":\"events\",\"width\":64,\"height\":64,\"seed\":4,"
                + "\"sample_params\":{\"sample_steps\":2},\"preview\":{\"mode\":\"proj\",\"interval\":1}}").json().get("id").asText();
        HttpResponse<java.io.InputStream> res = http.client().send(http.req("/sdcpp/v1/jobs/" + id + "/events").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, res.statusCode());
        assertEquals("text/event-stream", res.headers().firstValue("content-type").orElse(""));
        List<String> events = new ArrayList<>();
        String done = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
            String event = null;
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                    events.add(event);
                } else if (line.startsWith("data: ") && "done".equals(event)) {
                    done = line.substring(6);
                }
            }
        }
        assertTrue(events.contains("progress"), events.toString());
        assertTrue(events.contains("preview"), events.toString());
        assertEquals("done", events.getLast(), events.toString());
        JsonNode job = Http.JSON.readTree(done);
        assertEquals("completed", job.get("status").asText());
        assertEquals(1, job.get("result").get("images").size());
    }

    @Test
    void discoveryRoutesHaveSdServersShapes() {
        JsonNode models = http.get("/v1/models").json();
        assertEquals("sd-cpp-local", models.get("data").get(0).get("id").asText());
        assertEquals("model", models.get("data").get(0).get("object").asText());
        JsonNode samplers = http.get("/sdapi/v1/samplers").json();
        assertEquals("default", samplers.get(0).get("name").asText());
        assertEquals(SamplingMethod.values().length + 1, samplers.size());
        assertEquals("euler", samplers.get(1).get("aliases").get(0).asText());
        JsonNode schedulers = http.get("/sdapi/v1/schedulers").json();
        assertEquals(Scheduler.values().length + 1, schedulers.size());
        assertEquals("discrete", schedulers.get(1).get("label").asText());
        assertEquals(List.of("None", "Lanczos", "Nearest"), names(http.get("/sdapi/v1/upscalers").json()));
        assertEquals(6, http.get("/sdapi/v1/latent-upscale-modes").json().size());
        assertEquals(0, http.get("/sdapi/v1/loras").json().size());
        JsonNode sdModels = http.get("/sdapi/v1/sd-models").json();
        String stem = Fixtures.sd1().getFileName().toString().replace(".safetensors", "");
        assertEquals(stem, sdModels.get(0).get("title").asText());
        assertTrue(sdModels.get(0).get("config").isNull());
        assertEquals(stem, http.get("/sdapi/v1/options").json().get("sd_model_checkpoint").asText());
        JsonNode caps = http.get("/sdcpp/v1/capabilities").json();
        for (String f : List.of("model", "current_mode", "supported_modes", "defaults", "output_formats", "features", "defaults_by_mode",
                "output_formats_by_mode", "features_by_mode", "samplers", "schedulers", "loras", "upscalers", "limits")) {
            assertTrue(caps.has(f), "capabilities has " + f);
        }
        assertEquals("img_gen", caps.get("current_mode").asText());
        assertEquals(64, caps.get("limits").get("max_queue_size").asInt());
        assertTrue(caps.get("features").get("cancel_generating").asBoolean());
        assertEquals(400, http.post("/sdcpp/v1/vid_gen", "{\"prompt\":\"x\"}").status());
        String page = http.get("/").body();
        assertTrue(page.contains("<title>sdjava</title>"), page.substring(0, Math.min(200, page.length())));
    }

    private static List<String> names(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.get("name").asText()));
        return out;
    }

    private void awaitStatus(String id, String status) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            if (http.get("/sdcpp/v1/jobs/" + id).json().get("status").asText().equals(status)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(id + " never became " + status);
    }
}
