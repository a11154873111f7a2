package dev.writ.server.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One Redis server as Writ uses it: a client with bounded timeouts, one shared multiplexed connection for short
 * commands (nonces, stream appends), and dedicated connections on request for blocking reads.
 *
 * <p>Guarantees: every command is bounded by the configured timeout (a blocking stream read by its block time plus the
 * timeout); while the connection is down commands fail at once instead of queueing (so a nonce check fails closed
 * without waiting), and the client reconnects in the background with exponential backoff (100 ms to 2 s). Nothing this
 * class logs or throws carries the URI's user name or password: endpoints are named {@code host:port} and
 * {@link #redactedUri()} drops the credentials.
 *
 * <pre>{@code
 * try (RedisConnection redis = RedisConnection.connect("rediss://:secret@redis.internal:6380", Duration.ofMillis(500))) {
 *     server.readiness(redis::healthy);
 * }
 * }</pre>
 */
public final class RedisConnection implements AutoCloseable {
    /** The default bound on one command. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);

    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> shared;
    private final String endpoint;
    private final String redacted;
    private final Duration timeout;
    private final List<String> secrets;
    private volatile boolean closed;

    private RedisConnection(
            ClientResources resources,
            RedisClient client,
            StatefulRedisConnection<String, String> shared,
            String endpoint,
            String redacted,
            Duration timeout,
            List<String> secrets) {
        this.resources = resources;
        this.client = client;
        this.shared = shared;
        this.endpoint = endpoint;
        this.redacted = redacted;
        this.timeout = timeout;
        this.secrets = secrets;
    }

    /**
     * Connects to {@code redis://[[user]:password@]host[:port][/db]} or {@code rediss://...} (TLS, peer verified) and
     * checks the connection with a {@code PING}.
     *
     * @param timeout the bound on connecting and on each command (a slower answer is a failure)
     * @throws RedisException {@code redis.uri} for a malformed URI or another scheme, {@code redis.unavailable} when
     *     Redis cannot be reached (the message names {@code host:port}), {@code redis.auth} when it refuses the
     *     credentials, {@code redis.timeout} when it does not answer in time
     */
    public static RedisConnection connect(String uri, Duration timeout) throws RedisException {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        List<String> secrets = secretsOf(uri);
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new RedisException(RedisException.URI, "the Redis URI is malformed", null);
        }
        String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            throw new RedisException(RedisException.URI, "the Redis URI must start with redis:// or rediss://", null);
        }
        if (parsed.getHost() == null) {
            throw new RedisException(RedisException.URI, "the Redis URI must name a host", null);
        }
        RedisURI redisUri;
        try {
            redisUri = RedisURI.create(uri);
        } catch (RuntimeException e) {
            throw new RedisException(RedisException.URI, "the Redis URI is malformed", Redaction.scrub(e, secrets));
        }
        redisUri.setTimeout(timeout);
        String endpoint = hostPort(redisUri.getHost(), redisUri.getPort());
        String redacted = scheme + "://" + endpoint + (redisUri.getDatabase() != 0 ? "/" + redisUri.getDatabase() : "");

        ClientResources resources = ClientResources.builder()
                .reconnectDelay(
                        Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        RedisClient client = RedisClient.create(resources, redisUri);
        long commandMillis = timeout.toMillis();
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // Fail at once while disconnected: a queued nonce check would only answer late.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(timeout)
                        .keepAlive(true)
                        .build())
                .timeoutOptions(TimeoutOptions.builder()
                        .timeoutSource(new BlockingAwareTimeouts(commandMillis))
                        .build())
                .build());
        RedisConnection c = null;
        try {
            StatefulRedisConnection<String, String> shared = client.connect();
            c = new RedisConnection(resources, client, shared, endpoint, redacted, timeout, secrets);
            c.ping();
            return c;
        } catch (RuntimeException | RedisException e) {
            if (c != null) {
                c.close();
            } else {
                shutdown(client, resources);
            }
            if (e instanceof RedisException re) {
                throw re;
            }
            throw failure(e, endpoint, secrets, "cannot connect");
        }
    }

    /** With {@link #DEFAULT_TIMEOUT}. */
    public static RedisConnection connect(String uri) throws RedisException {
        return connect(uri, DEFAULT_TIMEOUT);
    }

    /** {@code host:port}, the only way an endpoint is named in logs and errors. */
    public String endpoint() {
        return endpoint;
    }

    /** The URI without user name, password or query, e.g. {@code rediss://redis.internal:6380/2}. */
    public String redactedUri() {
        return redacted;
    }

    /** The bound on each command. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Sends {@code PING} and waits at most the timeout.
     *
     * @throws RedisException when Redis does not answer {@code PONG} in time
     */
    public void ping() throws RedisException {
        String pong = await(shared.async().ping(), "PING");
        if (!"PONG".equals(pong)) {
            throw new RedisException(RedisException.UNAVAILABLE, "Redis at " + endpoint + " did not answer PING", null);
        }
    }

    /**
     * The readiness check: whether a {@code PING} is answered within the timeout right now. Never throws and never
     * takes longer than about the timeout, so it can back {@code /readyz} directly.
     */
    public boolean healthy() {
        if (closed) {
            return false;
        }
        try {
            ping();
            return true;
        } catch (RedisException | RuntimeException e) {
            return false;
        }
    }

    /** The shared connection's asynchronous commands (short, non-blocking commands only). */
    RedisAsyncCommands<String, String> commands() {
        return shared.async();
    }

    /** Whether the shared connection is currently connected. */
    boolean isOpen() {
        return !closed && shared.isOpen();
    }

    /**
     * A new connection of its own, for blocking commands that must not stall the shared one. The caller closes it.
     *
     * @throws RedisException when Redis cannot be reached
     */
    StatefulRedisConnection<String, String> dedicated() throws RedisException {
        if (closed) {
            throw new RedisException(RedisException.UNAVAILABLE, "the Redis connection is closed", null);
        }
        try {
            return client.connect();
        } catch (RuntimeException e) {
            throw failure(e, endpoint, secrets, "cannot connect");
        }
    }

    /** Waits for {@code future} at most the timeout; maps every failure to a redacted {@link RedisException}. */
    <T> T await(RedisFuture<T> future, String what) throws RedisException {
        return await(future, timeout.toMillis(), what);
    }

    <T> T await(RedisFuture<T> future, long millis, String what) throws RedisException {
        try {
            return future.get(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new RedisException(RedisException.UNAVAILABLE, what + " was interrupted", null);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new RedisException(
                    RedisException.TIMEOUT, "Redis at " + endpoint + " did not answer " + what + " in time", null);
        } catch (ExecutionException e) {
            throw failure(e.getCause() != null ? e.getCause() : e, endpoint, secrets, what + " failed");
        } catch (RuntimeException e) {
            throw failure(e, endpoint, secrets, what + " failed");
        }
    }

    /** {@code e} as a {@link RedisException} with a redacted cause chain. */
    RedisException failure(Throwable e, String what) {
        return failure(e, endpoint, secrets, what);
    }

    private static RedisException failure(Throwable e, String endpoint, List<String> secrets, String what) {
        Throwable scrubbed = Redaction.scrub(e, secrets);
        String text =
                String.valueOf(scrubbed.getMessage()) + (scrubbed.getCause() == null ? "" : " " + scrubbed.getCause());
        if (e instanceof RedisCommandTimeoutException || e instanceof TimeoutException) {
            return new RedisException(
                    RedisException.TIMEOUT, "Redis at " + endpoint + " did not answer in time", scrubbed);
        }
        if (text.contains("WRONGPASS") || text.contains("NOAUTH") || text.contains("invalid password")) {
            return new RedisException(
                    RedisException.AUTH, "Redis at " + endpoint + " refused the credentials", scrubbed);
        }
        return new RedisException(
                RedisException.UNAVAILABLE, "Redis at " + endpoint + " is unavailable (" + what + ")", scrubbed);
    }

    /** Redacts this connection's credentials from {@code text}. */
    String redact(String text) {
        return Redaction.redact(text, secrets);
    }

    /** Closes every connection and the client; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            shared.close();
        } catch (RuntimeException ignored) {
            // closing anyway
        }
        shutdown(client, resources);
    }

    private static void shutdown(RedisClient client, ClientResources resources) {
        try {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } catch (RuntimeException ignored) {
            // best effort
        }
        try {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        } catch (RuntimeException ignored) {
            // best effort
        }
    }

    @Override
    public String toString() {
        return "RedisConnection[" + redacted + "]";
    }

    private static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** The strings that must never be shown: the raw and decoded user info, password and (non-trivial) user name. */
    private static List<String> secretsOf(String uri) {
        List<String> out = new ArrayList<>();
        int scheme = uri.indexOf("://");
        int start = scheme < 0 ? 0 : scheme + 3;
        int end = uri.length();
        for (char c : new char[] {'/', '?', '#'}) {
            int i = uri.indexOf(c, start);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        int at = uri.lastIndexOf('@', end - 1);
        if (at < start) {
            return List.of();
        }
        String userInfo = uri.substring(start, at);
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        String password = colon < 0 ? userInfo : userInfo.substring(colon + 1);
        // Longest first, so a password that contains the user name is masked whole.
        for (String s : new String[] {userInfo, decode(userInfo), password, decode(password)}) {
            if (!s.isEmpty() && !out.contains(s)) {
                out.add(s);
            }
        }
        if (user.length() >= 3) {
            out.add(user);
            out.add(decode(user));
        }
        return List.copyOf(out);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /** The command timeout, except for a blocking stream read: its block time plus the timeout. */
    private static final class BlockingAwareTimeouts extends TimeoutOptions.TimeoutSource {
        private final long commandMillis;

        BlockingAwareTimeouts(long commandMillis) {
            this.commandMillis = commandMillis;
        }

        @Override
        public long getTimeout(RedisCommand<?, ?, ?> command) {
            if (command.getType() == CommandType.XREAD) {
                return commandMillis + RedisRevocationRelay.BLOCK_MILLIS;
            }
            return commandMillis;
        }
    }
}
