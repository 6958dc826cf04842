package dev.sdjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;
import org.eclipse.jetty.http.HttpHeader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** The HTTP routes: sd-server's three API families, the job event stream and the web page. */
final class Routes {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String JSON = "application/json";
    private static final List<String> LATENT_MODES = List.of("Latent", "Latent (nearest)", "Latent (nearest-exact)",
            "Latent (antialiased)", "Latent (bicubic)", "Latent (bicubic antialiased)");

    private final SdServer.Builder cfg;
    private final JobQueue jobs;
    private final BooleanSupplier closing;
    private final Catalog catalog;
    private final byte[] apiKey;
    private final byte[] page;

    Routes(SdServer.Builder cfg, JobQueue jobs, BooleanSupplier closing) {
        this.cfg = cfg;
        this.jobs = jobs;
        this.closing = closing;
        this.catalog = new Catalog(cfg.loraDir, cfg.upscalerDir);
        this.apiKey = cfg.apiKey == null ? null : cfg.apiKey.getBytes(StandardCharsets.UTF_8);
        try (InputStream in = Routes.class.getResourceAsStream("index.html")) {
            this.page = in == null ? "sdjava server is running".getBytes(StandardCharsets.UTF_8) : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        register();
    }

    /** A route handler. */
    @FunctionalInterface
    interface Handler {
        void handle(Exchange ex) throws Exception;
    }

    private record Route(String method, Pattern path, Handler handler) {
    }

    private final List<Route> table = new ArrayList<>();

    private void get(String path, Handler h) {
        table.add(new Route("GET", Pattern.compile(path), h));
    }

    private void post(String path, Handler h) {
        table.add(new Route("POST", Pattern.compile(path), h));
    }

    /** Answers one request: the API key, the route, and each failure as its status and {"error": ...}. */
    void handle(Exchange ex) {
        try {
            if (apiKey != null && !ex.path().equals("/") && !authorized(ex)) {
                ex.header("WWW-Authenticate", "Bearer");
                send(ex, 401, error("unauthorized: send Authorization: Bearer <api key>"));
                return;
            }
            boolean pathKnown = false;
            for (Route r : table) {
                Matcher m = r.path().matcher(ex.path());
                if (m.matches()) {
                    pathKnown = true;
                    if (r.method().equals(ex.method())) {
                        ex.path = m;
                        r.handler().handle(ex);
                        return;
                    }
                }
            }
            send(ex, pathKnown ? 405 : 404, error(pathKnown ? "method not allowed" : "not found"));
        } catch (BadRequest e) {
            ObjectNode err = error(e.getMessage());
            if (e.detail != null) {
                err.put("message", e.detail);
            }
            send(ex, 400, err);
        } catch (Exchange.TooLarge e) {
            send(ex, 413, error(e.getMessage()));
        } catch (Jobs.QueueFullException e) {
            ex.header("Retry-After", "5");
            send(ex, 429, error("job queue is full"));
        } catch (Jobs.ShuttingDownException e) {
            send(ex, 503, error("server is shutting down"));
        } catch (QueueUnavailableException e) {
            ex.header("Retry-After", "5");
            send(ex, 503, error(e.getMessage()));
        } catch (Exception | Error e) {
            if (!ex.answered()) {
                send(ex, 500, error("server_error").put("message", String.valueOf(e.getMessage())));
            } else {
                ex.done.failed(e);
            }
        }
    }

    private void register() {
        get("/", ex -> ex.send(200, "text/html; charset=utf-8", page));

        // OpenAI
        get("/v1/models", ex -> {
            ObjectNode o = F.objectNode();
            ArrayNode data = o.putArray("data");
            jobs.models().forEach(m -> data.addObject().put("id", m).put("object", "model").put("owned_by", "local"));
            send(ex, 200, o);
        });
        post("/v1/images/generations", ex -> {
            ObjectNode j = Json.object(ex.body());
            openAi(ex, Params.fromOpenAi(j, cfg.limits, catalog).withModel(GenerationSpec.modelOf(j)));
        });
        post("/v1/images/edits", ex -> openAi(ex, Params.fromOpenAiEdit(FormData.read(ex, cfg.maxBodyBytes), cfg.limits, catalog)));

        // sdapi (AUTOMATIC1111)
        post("/sdapi/v1/txt2img", ex -> sdapi(ex, false));
        post("/sdapi/v1/img2img", ex -> sdapi(ex, true));
        get("/sdapi/v1/loras", ex -> {
            ArrayNode a = F.arrayNode();
            catalog.loras().forEach(e -> a.addObject().put("name", e.name()).put("path", e.path()));
            send(ex, 200, a);
        });
        get("/sdapi/v1/upscalers", ex -> {
            ArrayNode a = F.arrayNode();
            for (String n : List.of("None", "Lanczos", "Nearest")) {
                ObjectNode o = a.addObject().put("name", n);
                o.putNull("model_name");
                o.putNull("model_path");
                o.putNull("model_url");
                o.put("scale", 4);
            }
            for (Catalog.Entry e : catalog.upscalers()) {
                ObjectNode o = a.addObject().put("name", e.name()).put("model_name", "ESRGAN_4x").put("model_path", e.file().toString());
                o.putNull("model_url");
                o.put("scale", 4);
            }
            send(ex, 200, a);
        });
        get("/sdapi/v1/latent-upscale-modes", ex -> {
            ArrayNode a = F.arrayNode();
            LATENT_MODES.forEach(n -> a.addObject().put("name", n));
            send(ex, 200, a);
        });
        get("/sdapi/v1/samplers", ex -> {
            ArrayNode a = F.arrayNode();
            for (String n : samplerNames(true)) {
                ObjectNode o = a.addObject().put("name", n);
                o.putArray("aliases").add(n);
                o.putObject("options");
            }
            send(ex, 200, a);
        });
        get("/sdapi/v1/schedulers", ex -> {
            ArrayNode a = F.arrayNode();
            for (String n : schedulerNames(true)) {
                a.addObject().put("name", n).put("label", n);
            }
            send(ex, 200, a);
        });
        get("/sdapi/v1/sd-models", ex -> {
            ArrayNode a = F.arrayNode();
            ObjectNode o = a.addObject().put("title", stem()).put("model_name", stem()).put("filename", fileName())
                    .put("hash", "8888888888").put("sha256", "8".repeat(64));
            o.putNull("config");
            send(ex, 200, a);
        });
        get("/sdapi/v1/options", ex -> send(ex, 200, F.objectNode().put("samples_format", "png").put("sd_model_checkpoint", stem())));

        // sdcpp (async jobs)
        get("/sdcpp/v1/capabilities", ex -> send(ex, 200, capabilities()));
        post("/sdcpp/v1/img_gen", ex -> {
            byte[] body = ex.body();
            if (body.length == 0) {
                throw new BadRequest("empty body");
            }
            ObjectNode j = Json.object(body);
            GenerationSpec spec = Params.fromNative(j, cfg.limits, catalog).withModel(GenerationSpec.modelOf(j));
            Job job = jobs.submit(spec);
            ObjectNode o = F.objectNode().put("id", job.id).put("kind", job.kind).put("status", "queued")
                    .put("created", job.created).put("poll_url", "/sdcpp/v1/jobs/" + job.id);
            send(ex, 202, o);
        });
        post("/sdcpp/v1/vid_gen", ex -> {
            if (ex.body().length == 0) {
                throw new BadRequest("empty body");
            }
            send(ex, 400, error("loaded model does not support vid_gen"));
        });
        get("/sdcpp/v1/jobs/([A-Za-z0-9_\\-]+)", ex -> {
            Job job = job(ex);
            if (job != null) {
                send(ex, 200, jobs.json(job));
            }
        });
        post("/sdcpp/v1/jobs/([A-Za-z0-9_\\-]+)/cancel", ex -> {
            Job job = job(ex);
            if (job != null) {
                jobs.cancel(job, "job cancelled by client");
                send(ex, 200, jobs.json(job));
            }
        });
        get("/sdcpp/v1/jobs/([A-Za-z0-9_\\-]+)/events", this::events);
    }

    // ---- handlers ----

    /** The OpenAI image routes (generations, edits): runs the job and answers {created, data: [{b64_json}], output_format}. */
    private void openAi(Exchange ex, GenerationSpec spec) {
        Job job = runSync(spec, ex);
        if (job == null) {
            return;
        }
        ObjectNode o = F.objectNode();
        o.put("created", System.currentTimeMillis() / 1000);
        ArrayNode data = o.putArray("data");
        job.images.forEach(im -> data.addObject().put("b64_json", im.b64()));
        o.put("output_format", spec.outputFormat());
        send(ex, 200, o);
    }

    private void sdapi(Exchange ex, boolean img2img) throws IOException {
        byte[] body = ex.body();
        if (body.length == 0) {
            throw new BadRequest("empty body");
        }
        ObjectNode j = Json.object(body);
        GenerationSpec spec = Params.fromSdapi(j, img2img, cfg.limits, catalog).withModel(GenerationSpec.modelOf(j));
        Job job = runSync(spec, ex);
        if (job == null) {
            return;
        }
        ObjectNode o = F.objectNode();
        ArrayNode images = o.putArray("images");
        job.images.forEach(im -> images.add(im.b64()));
        o.set("parameters", j);
        o.put("info", "");
        send(ex, 200, o);
    }

    /** Runs a job for a synchronous route and returns it completed, or answers the failure and returns null. */
    private Job runSync(GenerationSpec spec, Exchange res) {
        Job job = jobs.submit(spec);
        res.allowQuiet(cfg.syncTimeout);
        if (!Jobs.await(job, cfg.syncTimeout)) {
            jobs.cancel(job, "timed out");
            send(res, 504, error("generation timed out after " + cfg.syncTimeout.toSeconds() + " s"));
            return null;
        }
        switch (job.status) {
            case COMPLETED -> {
                return job;
            }
            case CANCELLED -> send(res, closing.getAsBoolean() ? 503 : 500, error(job.errorMessage));
            default -> send(res, 500, error(job.errorMessage == null ? "generate_image returned no results" : job.errorMessage));
        }
        return null;
    }

    private Job job(Exchange res) {
        String id = res.param(1);
        boolean[] expired = new boolean[1];
        Job job = jobs.find(id, expired);
        if (job == null) {
            send(res, expired[0] ? 410 : 404, error(expired[0] ? "job expired" : "job not found"));
        }
        return job;
    }

    /**
     * {@code text/event-stream} of one job: {@code status} (queue position), {@code progress}
     * (step, steps, seconds per step), {@code preview} (when the job asked for previews), and a
     * last {@code done} with the job's JSON; then the stream ends. A comment every 15 s keeps
     * idle connections open.
     */
    private void events(Exchange ex) throws IOException, InterruptedException {
        Job job = job(ex);
        if (job == null) {
            return;
        }
        ex.allowQuiet(Duration.ofSeconds(60));
        BlockingQueue<Job.Event> q = jobs.subscribe(job);
        try (OutputStream out = ex.stream(200, "text/event-stream")) {
            while (true) {
                Job.Event e = q.poll(15, TimeUnit.SECONDS);
                if (e == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    continue;
                }
                out.write(("event: " + e.name() + "\ndata: " + e.data() + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (e.name().equals("done")) {
                    return;
                }
            }
        } finally {
            jobs.unsubscribe(job, q);
        }
    }

    private ObjectNode capabilities() {
        ObjectNode o = F.objectNode();
        Path model = cfg.modelPath;
        o.putObject("model").put("name", fileName()).put("stem", stem()).put("path", model == null ? "" : model.toString());
        o.put("current_mode", "img_gen");
        o.putArray("supported_modes").add("img_gen");
        ObjectNode defaults = imgGenDefaults();
        o.set("defaults", defaults);
        o.putObject("defaults_by_mode").set("img_gen", defaults.deepCopy());
        ObjectNode limits = o.putObject("limits");
        limits.put("min_width", cfg.limits.minSide()).put("max_width", cfg.limits.maxSide())
                .put("min_height", cfg.limits.minSide()).put("max_height", cfg.limits.maxSide())
                .put("max_batch_count", cfg.limits.maxBatch()).put("max_queue_size", jobs.maxPending());
        ArrayNode samplers = o.putArray("samplers");
        samplerNames(false).forEach(samplers::add);
        ArrayNode schedulers = o.putArray("schedulers");
        schedulerNames(false).forEach(schedulers::add);
        o.putArray("output_formats").add("png").add("jpeg");
        o.putObject("output_formats_by_mode").putArray("img_gen").add("png").add("jpeg");
        ObjectNode features = F.objectNode();
        for (String f : List.of("init_image", "mask_image", "control_image", "ref_images", "lora", "vae_tiling", "hires")) {
            features.put(f, true);
        }
        features.put("cache", true); // cache_mode, cache_option, scm_mask, as sd-server
        features.put("cancel_queued", true);
        // Running jobs can be cancelled; until the core cancels inside sd.cpp, the worker stays busy
        // until sd.cpp returns, but the job is reported cancelled at once and its images dropped.
        features.put("cancel_generating", true);
        // Beyond sd-server: GET /sdcpp/v1/jobs/{id}/events.
        features.put("events", true);
        o.set("features", features);
        o.putObject("features_by_mode").set("img_gen", features.deepCopy());
        ArrayNode loras = o.putArray("loras");
        catalog.loras().forEach(e -> loras.addObject().put("name", e.name()).put("path", e.path()));
        ArrayNode ups = o.putArray("upscalers");
        for (String n : List.of("None", "Lanczos", "Nearest")) {
            ups.addObject().put("name", n);
        }
        LATENT_MODES.forEach(n -> ups.addObject().put("name", n));
        catalog.upscalers().forEach(e -> ups.addObject().put("name", e.name()));
        return o;
    }

    /** sd-server's {@code make_img_gen_defaults_json} for its built-in defaults. */
    private static ObjectNode imgGenDefaults() {
        ObjectNode d = F.objectNode();
        d.put("prompt", "").put("negative_prompt", "").put("clip_skip", -1).put("width", 512).put("height", 512)
                .put("strength", 0.75).put("seed", 42).put("batch_count", 1).put("auto_resize_ref_image", true)
                .put("increase_ref_index", false).put("control_strength", 0.9);
        ObjectNode sp = d.putObject("sample_params");
        sp.put("scheduler", "default").put("sample_method", "default").put("sample_steps", 20);
        sp.putNull("eta");
        sp.put("shifted_timestep", 0);
        sp.putNull("flow_shift");
        ObjectNode g = sp.putObject("guidance");
        g.put("txt_cfg", 7.0);
        g.putNull("img_cfg");
        g.put("distilled_guidance", 3.5);
        ObjectNode slg = g.putObject("slg");
        slg.putArray("layers").add(7).add(8).add(9);
        slg.put("layer_start", 0.01).put("layer_end", 0.2).put("scale", 0.0);
        d.putObject("hires").put("enabled", false).put("upscaler", "Latent").put("scale", 2.0).put("target_width", 0)
                .put("target_height", 0).put("steps", 0).put("denoising_strength", 0.7).put("upscale_tile_size", 128);
        d.putObject("vae_tiling_params").put("enabled", false).put("tile_size_x", 0).put("tile_size_y", 0)
                .put("target_overlap", 0.5).put("rel_size_x", 0.0).put("rel_size_y", 0.0);
        d.put("cache_mode", "").put("cache_option", "").put("scm_mask", "").put("scm_policy_dynamic", true);
        d.put("output_format", "png").put("output_compression", 100);
        return d;
    }

    // ---- helpers ----

    private static List<String> samplerNames(boolean withDefault) {
        var names = new java.util.ArrayList<String>();
        if (withDefault) {
            names.add("default");
        }
        for (SamplingMethod m : SamplingMethod.values()) {
            names.add(m.sdName());
        }
        return names;
    }

    private static List<String> schedulerNames(boolean withDefault) {
        var names = new java.util.ArrayList<String>();
        if (withDefault) {
            names.add("default");
        }
        for (Scheduler s : Scheduler.values()) {
            names.add(s.sdName());
        }
        return names;
    }

    private String fileName() {
        return cfg.modelPath == null ? "" : cfg.modelPath.getFileName().toString();
    }

    private String stem() {
        String f = fileName();
        int dot = f.lastIndexOf('.');
        return dot > 0 ? f.substring(0, dot) : f;
    }

    private boolean authorized(Exchange ex) {
        String h = ex.header(HttpHeader.AUTHORIZATION);
        if (h == null) {
            return false;
        }
        if (!h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(apiKey, h.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    static ObjectNode error(String message) {
        return F.objectNode().put("error", message);
    }

    static void send(Exchange ex, int status, JsonNode body) {
        ex.send(status, JSON, body.toString().getBytes(StandardCharsets.UTF_8));
    }
}
