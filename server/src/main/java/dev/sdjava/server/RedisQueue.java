package dev.sdjava.server;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the server ({@link RedisJobs}) and the workers ({@link SdWorker}) share about one Redis
 * queue: its address ({@code redis://[user:password@]HOST[:PORT]/NAME}), the key names under
 * {@code NAME}, and the Lua scripts that make each state change of a job one atomic step.
 *
 * <p>Keys, for {@code NAME} {@code sd} and model {@code m}:
 * <ul>
 * <li>{@code sd:stream:m}: the stream of model {@code m}'s jobs (fields {@code id}, {@code spec}),
 *     consumed by the group {@value #GROUP}; an entry is deleted once its job is finished, so
 *     {@code XLEN} is the number of jobs queued or running;</li>
 * <li>{@code sd:job:ID}: the job's hash ({@code status}, {@code created}, {@code started},
 *     {@code completed}, {@code model}, {@code entry}, {@code worker}, {@code attempts},
 *     {@code progress}, {@code error_code}, {@code error_message}, {@code result}), kept for the
 *     job TTL after it finishes;</li>
 * <li>{@code sd:models}: the model names workers serve; {@code sd:worker:NAME}: a worker's
 *     heartbeat (expires when it stops beating); {@code sd:seq}: the job id counter;</li>
 * <li>channels {@code sd:events} (job events, JSON {@code {"id", "event", "data"}}) and
 *     {@code sd:cancel} (the id of a job to stop).</li>
 * </ul>
 */
final class RedisQueue implements AutoCloseable {
    static final String GROUP = "workers";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");
    /** Model and worker names, which become parts of key names. */
    private static final Pattern KEY_PART = Pattern.compile("[A-Za-z0-9_.\\-]{1,128}");

    /** {@code name} if it may be a model or worker name (1..128 of A-Z a-z 0-9 _ . -), else IllegalArgumentException naming {@code what}. */
    static String checkName(String what, String name) {
        if (name == null || !KEY_PART.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " must be 1..128 of A-Z a-z 0-9 _ . -, got '" + name + "'");
        }
        return name;
    }

    /** Creates the job (hash and stream entry) unless the model's stream already holds {@code max} jobs. */
    static final String SUBMIT = """
            if redis.call('EXISTS', KEYS[2]) == 1 then return redis.call('HGET', KEYS[2], 'entry') end
            if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
            local e = redis.call('XADD', KEYS[1], '*', 'id', ARGV[2], 'spec', ARGV[3])
            redis.call('HSET', KEYS[2], 'status', 'queued', 'created', ARGV[4], 'model', ARGV[5], 'entry', e, 'attempts', 0,
                       'output_format', ARGV[7])
            redis.call('PEXPIRE', KEYS[2], ARGV[6])
            return e
            """;

    /**
     * A worker takes a job it was delivered (first time or reclaimed): 'generating' if it should run
     * it, else the job's terminal status or 'missing'; 'exhausted' when it was started
     * {@code ARGV[3]} times already (each worker died running it), which fails it.
     */
    static final String START = """
            local s = redis.call('HGET', KEYS[1], 'status')
            if not s then return 'missing' end
            if s == 'completed' or s == 'failed' or s == 'cancelled' then return s end
            local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
            if n > tonumber(ARGV[3]) then return 'exhausted' end
            redis.call('HSET', KEYS[1], 'status', 'generating', 'started', ARGV[2], 'worker', ARGV[1])
            redis.call('PUBLISH', KEYS[2], ARGV[4])
            return 'generating'
            """;

    /**
     * Stores a job's outcome once, then acknowledges and deletes its stream entry: returns 1 if this
     * call stored it, 0 if the job was already finished (cancelled, or completed by another worker
     * that ran it too) or is gone. The XACK comes after the result is stored, in the same step.
     */
    static final String FINISH = """
            local s = redis.call('HGET', KEYS[1], 'status')
            local stored = 0
            if s and s ~= 'completed' and s ~= 'failed' and s ~= 'cancelled' then
              redis.call('HSET', KEYS[1], 'status', ARGV[1], 'completed', ARGV[2], 'error_code', ARGV[3],
                         'error_message', ARGV[4], 'result', ARGV[5])
              redis.call('EXPIRE', KEYS[1], ARGV[6])
              redis.call('PUBLISH', KEYS[3], ARGV[9])
              stored = 1
            end
            redis.call('XACK', KEYS[2], ARGV[8], ARGV[7])
            redis.call('XDEL', KEYS[2], ARGV[7])
            return stored
            """;

    /**
     * Cancels a job that is not finished: marks it cancelled, deletes its entry if no worker took it
     * yet, tells the workers. Returns the status it had ('missing' when gone).
     */
    static final String CANCEL = """
            local s = redis.call('HGET', KEYS[1], 'status')
            if not s then return 'missing' end
            if s == 'completed' or s == 'failed' or s == 'cancelled' then return s end
            redis.call('HSET', KEYS[1], 'status', 'cancelled', 'completed', ARGV[1], 'error_code', 'cancelled', 'error_message', ARGV[2])
            redis.call('EXPIRE', KEYS[1], ARGV[3])
            if s == 'queued' then
              local e = redis.call('HGET', KEYS[1], 'entry')
              if e then redis.call('XDEL', KEYS[2], e) end
            end
            redis.call('PUBLISH', KEYS[3], ARGV[4])
            redis.call('PUBLISH', KEYS[4], ARGV[5])
            return s
            """;

    /** A progress event of a running job: stored and published; returns the job's status (the worker stops on 'cancelled'). */
    static final String PROGRESS = """
            local s = redis.call('HGET', KEYS[1], 'status')
            if s == 'generating' then
              if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'progress', ARGV[3]) end
              redis.call('PUBLISH', KEYS[2], ARGV[1])
            end
            return s
            """;

    /**
     * Keeps a running job's claim fresh (its idle time back to 0) while this consumer still owns it:
     * 1, or 0 if another worker reclaimed it or it is gone (the caller stops running it).
     */
    static final String HEARTBEAT = """
            local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
            if #p == 0 or p[1][2] ~= ARGV[2] then return 0 end
            redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
            return 1
            """;

    /** A queued job's position: entries after the group's last delivered one, up to and including its own. */
    static final String POSITION = """
            local last = '-'
            local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
            if ok then
              for _, g in ipairs(groups) do
                local name, id
                for i = 1, #g, 2 do
                  if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then id = g[i + 1] end
                end
                if name == ARGV[1] and id and id ~= '0-0' then last = '(' .. id end
              end
            end
            return #redis.call('XRANGE', KEYS[1], last, ARGV[2])
            """;

    final String uri;
    final String name;
    final RedisClient client;
    /** The pool's size: how many stale connections a command may meet after a Redis restart. */
    final int poolSize;

    private RedisQueue(String uri, String name, RedisClient client, int poolSize) {
        this.uri = uri;
        this.name = name;
        this.client = client;
        this.poolSize = poolSize;
    }

    /**
     * Parses {@code redis://[user:password@]HOST[:PORT][/NAME]} ({@code rediss://} for TLS; port
     * 6379 and name {@code sdjava} by default) and makes a pooled client. Connects lazily: a Redis
     * that is down fails the first command, not this.
     */
    static RedisQueue open(String uri, int poolSize) {
        URI u;
        try {
            u = new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("queue must be redis://HOST:PORT/NAME, got '" + uri + "': " + e.getMessage());
        }
        String scheme = u.getScheme();
        if (!"redis".equals(scheme) && !"rediss".equals(scheme) || u.getHost() == null) {
            throw new IllegalArgumentException("queue must be redis://HOST:PORT/NAME (or rediss:// for TLS), got '" + uri + "'");
        }
        String path = u.getPath() == null ? "" : u.getPath().replaceFirst("^/", "");
        String name = path.isEmpty() ? "sdjava" : path;
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("queue name must be 1..64 of A-Z a-z 0-9 _ . -, got '" + name + "'");
        }
        DefaultJedisClientConfig.Builder cfg = DefaultJedisClientConfig.builder().ssl("rediss".equals(scheme))
                .connectionTimeoutMillis(2000).socketTimeoutMillis(5000).clientName("sdjava");
        String info = u.getUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            if (colon < 0) {
                cfg.password(info);
            } else {
                if (colon > 0) {
                    cfg.user(info.substring(0, colon));
                }
                cfg.password(info.substring(colon + 1));
            }
        }
        var pool = new org.apache.commons.pool2.impl.GenericObjectPoolConfig<redis.clients.jedis.Connection>();
        pool.setMaxTotal(poolSize);
        pool.setMaxIdle(poolSize);
        pool.setMaxWait(java.time.Duration.ofSeconds(5));
        pool.setTestOnBorrow(false);
        pool.setJmxEnabled(false);
        RedisClient client = RedisClient.builder().hostAndPort(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort())
                .clientConfig(cfg.build()).poolConfig(pool).build();
        String shown = scheme + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort()) + "/" + name;
        return new RedisQueue(shown, name, client, poolSize);
    }

    String stream(String model) {
        return name + ":stream:" + model;
    }

    String job(String id) {
        return name + ":job:" + id;
    }

    String models() {
        return name + ":models";
    }

    String worker(String consumer) {
        return name + ":worker:" + consumer;
    }

    String seq() {
        return name + ":seq";
    }

    String events() {
        return name + ":events";
    }

    String cancels() {
        return name + ":cancel";
    }

    Object eval(String script, List<String> keys, List<String> args) {
        return client.eval(script, keys, args);
    }

    /** Whether {@code e} means Redis could not be reached (as opposed to a command error). */
    static boolean connectionLost(JedisException e) {
        return e instanceof JedisConnectionException || e.getCause() instanceof java.io.IOException
                || String.valueOf(e.getMessage()).startsWith("LOADING");
    }

    /**
     * Whether {@code e} came from a pooled connection that Redis closed (it restarted, or dropped an
     * idle client): the pool discards that connection, so the command may be sent again on another.
     * A Redis that cannot be reached at all is not stale (nor one still loading, which answers
     * with an error reply, not a connection failure).
     */
    static boolean staleConnection(JedisException e) {
        if (!(e instanceof JedisConnectionException)) {
            return false;
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.net.ConnectException || c instanceof java.net.UnknownHostException
                    || c instanceof java.net.NoRouteToHostException || c instanceof java.net.SocketTimeoutException
                    || String.valueOf(c.getMessage()).startsWith("Failed to connect")) {
                return false;
            }
        }
        return true;
    }

    /**
     * Requeues a job this worker is giving up (it is shutting down): a fresh entry at the stream's
     * end, the old one acknowledged and deleted, the job 'queued' again. 1, or 0 if it was finished
     * meanwhile (then only the old entry is acknowledged).
     */
    static final String REQUEUE = """
            local s = redis.call('HGET', KEYS[1], 'status')
            redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
            redis.call('XDEL', KEYS[2], ARGV[2])
            if s ~= 'generating' and s ~= 'queued' then return 0 end
            local e = redis.call('XADD', KEYS[2], '*', 'id', ARGV[3], 'spec', ARGV[4])
            redis.call('HSET', KEYS[1], 'status', 'queued', 'entry', e, 'worker', '')
            redis.call('HINCRBY', KEYS[1], 'attempts', -1)
            return 1
            """;

    /**
     * Subscribes to {@code channel} on a virtual thread until {@link Listener#close}: each message
     * goes to {@code onMessage}; a lost connection is retried (100 ms doubling to 2 s), and
     * {@code onReconnect} runs after each new subscription (to catch up on what was missed).
     */
    Listener listen(String channel, java.util.function.Consumer<String> onMessage, Runnable onReconnect,
                    java.util.function.Consumer<String> log) {
        Listener l = new Listener(channel, onMessage, onReconnect, log);
        l.thread = Thread.ofVirtual().name("sdjava-redis-" + channel).start(l::loop);
        return l;
    }

    /** A subscription that survives Redis restarts. */
    final class Listener implements AutoCloseable {
        private final String channel;
        private final java.util.function.Consumer<String> onMessage;
        private final Runnable onReconnect;
        private final java.util.function.Consumer<String> log;
        private volatile boolean closed;
        private volatile redis.clients.jedis.JedisPubSub current;
        private final java.util.concurrent.CountDownLatch subscribed = new java.util.concurrent.CountDownLatch(1);
        Thread thread;

        private Listener(String channel, java.util.function.Consumer<String> onMessage, Runnable onReconnect,
                         java.util.function.Consumer<String> log) {
            this.channel = channel;
            this.onMessage = onMessage;
            this.onReconnect = onReconnect;
            this.log = log;
        }

        private void loop() {
            long backoff = 100;
            boolean lost = false;
            while (!closed) {
                boolean[] reconnected = {lost};
                redis.clients.jedis.JedisPubSub sub = new redis.clients.jedis.JedisPubSub() {
                    @Override
                    public void onSubscribe(String ch, int n) {
                        subscribed.countDown();
                        if (reconnected[0]) {
                            log.accept("subscribed to " + uri + " " + ch + " again");
                            reconnected[0] = false;
                            Thread.ofVirtual().start(onReconnect);
                        }
                    }

                    @Override
                    public void onMessage(String ch, String message) {
                        try {
                            onMessage.accept(message);
                        } catch (RuntimeException e) {
                            log.accept("event on " + ch + " not handled: " + e);
                        }
                    }
                };
                current = sub;
                try {
                    if (closed) {
                        return;
                    }
                    client.subscribe(sub, channel);
                    backoff = 100;
                    lost = true; // returned without close(): the server ended the subscription
                } catch (JedisException e) {
                    if (closed) {
                        return;
                    }
                    if (!lost) {
                        log.accept("lost the subscription to " + uri + " " + channel + " (" + e.getMessage() + "); retrying");
                    }
                    lost = true;
                    try {
                        Thread.sleep(backoff);
                    } catch (InterruptedException ie) {
                        return;
                    }
                    backoff = Math.min(2000, backoff * 2);
                }
            }
        }

        /** Waits up to {@code ms} for the first subscription (so that no early event is missed). */
        boolean awaitSubscribed(long ms) throws InterruptedException {
            return subscribed.await(ms, java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            closed = true;
            redis.clients.jedis.JedisPubSub sub = current;
            try {
                if (sub != null && sub.isSubscribed()) {
                    sub.unsubscribe();
                }
            } catch (RuntimeException ignored) {
                // the connection is gone already
            }
            thread.interrupt();
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
