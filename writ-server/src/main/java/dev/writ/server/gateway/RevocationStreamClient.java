package dev.writ.server.gateway;

import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.revocation.RevocationSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.security.auth.x500.X500Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PEP's end of the revocation push: subscribes to {@code GET <server>/v1/revocations/stream}, feeds every pushed
 * revocation into a local revocation set, resumes from its cursor after a disconnect (reconnecting with jittered
 * exponential backoff), and is itself the {@link RevocationSource} the verifier consults.
 *
 * <p>Fail closed: until the first complete snapshot has arrived, and whenever the last sign of life from an in-sync
 * stream is older than the staleness bound, {@link #isRevoked} throws, which the verifier reports as
 * {@code sae.revocation_unavailable} for every envelope. Revocations already received stay in force forever.
 */
public final class RevocationStreamClient implements RevocationSource, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RevocationStreamClient.class);

    private final URI stream;
    private final HttpClient http;
    private final InstantSource clock;
    private final long maxStalenessMillis;
    private final long minBackoffMillis;
    private final long maxBackoffMillis;
    private final InMemoryRevocationSource revoked = new InMemoryRevocationSource();
    private final CountDownLatch firstSync = new CountDownLatch(1);
    private final Thread worker;

    private static final com.fasterxml.jackson.databind.ObjectMapper SYNC_JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private volatile long cursor;
    /** The numbering {@link #cursor} belongs to (the server's feed epoch); null before the first event. */
    private volatile String epoch;
    /** Millis of the last event received on a connection that had completed its replay; MIN_VALUE: never. */
    private volatile long lastHeardMillis = Long.MIN_VALUE;

    private volatile boolean closed;
    private volatile InputStream current;
    /** Millis of the last line read on the current connection, for the half-open connection watchdog. */
    private volatile long lastLineMillis;

    private RevocationStreamClient(Builder b) {
        this.stream = b.stream;
        this.http = b.http != null
                ? b.http
                : HttpClient.newBuilder()
                        .connectTimeout(b.connectTimeout)
                        // A long-lived event stream over plain HTTP/1.1: no h2c upgrade dance with intermediaries.
                        .version(HttpClient.Version.HTTP_1_1)
                        .build();
        this.clock = b.clock;
        this.maxStalenessMillis = b.maxStaleness.toMillis();
        this.minBackoffMillis = b.minBackoff.toMillis();
        this.maxBackoffMillis = b.maxBackoff.toMillis();
        this.worker =
                Thread.ofPlatform().daemon().name("writ-revocation-client").unstarted(this::run);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts subscribing in the background. */
    public RevocationStreamClient start() {
        worker.start();
        Thread.ofVirtual().name("writ-revocation-watchdog").start(this::watchdog);
        return this;
    }

    /** Closes a connection that has gone silent (heartbeats stopped, e.g. half-open TCP), so the worker reconnects. */
    private void watchdog() {
        while (!closed) {
            try {
                Thread.sleep(Math.max(50, maxStalenessMillis / 2));
            } catch (InterruptedException e) {
                return;
            }
            InputStream in = current;
            if (in != null && clock.millis() - lastLineMillis > maxStalenessMillis) {
                LOG.warn("revocation stream {} silent for more than {} ms: reconnecting", stream, maxStalenessMillis);
                try {
                    in.close();
                } catch (IOException ignored) {
                    // the worker notices
                }
            }
        }
    }

    /** Waits until the first complete snapshot has been received; {@code false} on timeout. */
    public boolean awaitSynced(Duration timeout) throws InterruptedException {
        return firstSync.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether the local set is trustworthy now: synced once, and heard from within the staleness bound. */
    public boolean isFresh() {
        long heard = lastHeardMillis;
        return heard != Long.MIN_VALUE && clock.millis() - heard <= maxStalenessMillis;
    }

    /** The sequence number of the last revocation applied. */
    public long cursor() {
        return cursor;
    }

    /** The number of revoked certificates known. */
    public int revokedCount() {
        return revoked.size();
    }

    @Override
    public boolean isRevoked(X500Principal issuer, BigInteger serial) {
        // A stale set may be missing a revocation: the verifier turns this into sae.revocation_unavailable.
        if (!isFresh()) {
            throw new IllegalStateException("the revocation stream is unavailable or stale");
        }
        return revoked.isRevoked(issuer, serial);
    }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        InputStream in = current;
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void run() {
        long backoff = minBackoffMillis;
        while (!closed) {
            boolean synced = false;
            try {
                synced = connectOnce();
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (!closed) {
                    LOG.warn("revocation stream {} failed: {}", stream, e.toString());
                }
            }
            if (closed) {
                return;
            }
            // A connection that got in sync resets the backoff; repeated failures back off up to the maximum.
            backoff = synced ? minBackoffMillis : Math.min(maxBackoffMillis, backoff * 2);
            long sleep = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One connection: returns whether it reached the synced state before it ended. */
    private boolean connectOnce() throws Exception {
        HttpRequest.Builder rb = HttpRequest.newBuilder(stream)
                .GET()
                .header("Accept", "text/event-stream")
                .timeout(Duration.ofMillis(Math.max(1000, maxStalenessMillis)));
        if (cursor > 0) {
            rb.header("Last-Event-ID", epoch == null ? Long.toString(cursor) : epoch + "." + cursor);
        }
        HttpResponse<InputStream> resp = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        boolean synced = false;
        try (InputStream in = resp.body()) {
            current = in;
            if (resp.statusCode() != 200) {
                throw new IOException("HTTP " + resp.statusCode());
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String event = "message";
            String id = null;
            StringBuilder data = new StringBuilder();
            String line;
            lastLineMillis = clock.millis();
            while ((line = reader.readLine()) != null) {
                lastLineMillis = clock.millis();
                if (line.isEmpty()) {
                    synced |= dispatch(event, id, data.toString(), synced);
                    event = "message";
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    event = field(line, 6);
                } else if (line.startsWith("id:")) {
                    id = field(line, 3);
                } else if (line.startsWith("data:")) {
                    if (!data.isEmpty()) data.append('\n');
                    data.append(field(line, 5));
                }
                // The id names the epoch (the seq is in the data too); retry: and comments are ignored.
            }
            return synced;
        } finally {
            current = null;
        }
    }

    private static String field(String line, int from) {
        return line.length() > from && line.charAt(from) == ' ' ? line.substring(from + 1) : line.substring(from);
    }

    /** Applies one event; returns true when the stream is (now) in sync. */
    private boolean dispatch(String event, String id, String data, boolean synced) throws IOException {
        switch (event) {
            case "revocation" -> {
                RevocationEvent e = RevocationEvent.fromJson(data);
                revoked.revoke(e.issuer(), e.serial());
                int dot = id == null ? -1 : id.indexOf('.');
                String from = dot < 0 ? null : id.substring(0, dot);
                if (from != null && !from.equals(epoch)) {
                    // Another numbering (another server, or a restart): positions restart with it.
                    epoch = from;
                    cursor = 0;
                }
                cursor = Math.max(cursor, e.seq());
                LOG.info("certificate {} revoked ({})", e.serialHex(), e.reason());
            }
            case "synced" -> {
                synced = true;
                com.fasterxml.jackson.databind.JsonNode d = SYNC_JSON.readTree(data);
                if (d.path("epoch").isTextual() && d.path("cursor").canConvertToLong()) {
                    // The server's own account of where this subscriber now stands, in its numbering.
                    epoch = d.get("epoch").asText();
                    cursor = d.get("cursor").asLong();
                }
                // Fresh before anyone waiting for the first snapshot is released.
                lastHeardMillis = clock.millis();
                firstSync.countDown();
            }
            case "heartbeat" -> {
                // a sign of life
            }
            default -> {
                // Unknown event types are ignored (forward compatible); they carry no revocation.
                return synced;
            }
        }
        if (synced) {
            lastHeardMillis = clock.millis();
        }
        return synced;
    }

    /** Subscriber settings. Required: the server URL. */
    public static final class Builder {
        private URI stream;
        private HttpClient http;
        private InstantSource clock = InstantSource.system();
        private Duration maxStaleness = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration minBackoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(5);

        private Builder() {}

        /** The Writ server's base URL; the stream is {@code <server>/v1/revocations/stream}. */
        public Builder server(URI server) {
            Objects.requireNonNull(server, "server");
            String base = server.toString();
            while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
            this.stream = URI.create(base + RevocationStreamHandler.PATH);
            return this;
        }

        public Builder httpClient(HttpClient http) {
            this.http = Objects.requireNonNull(http, "http");
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How long the PEP trusts its set without hearing from the server (default 10 s; more than the heartbeat). */
        public Builder maxStaleness(Duration d) {
            Objects.requireNonNull(d, "maxStaleness");
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("max staleness must be positive");
            this.maxStaleness = d;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = Objects.requireNonNull(d, "connectTimeout");
            return this;
        }

        /** Reconnect backoff bounds (default 100 ms doubling to 5 s, with jitter). */
        public Builder backoff(Duration min, Duration max) {
            if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
                throw new IllegalArgumentException("backoff must satisfy 0 < min <= max");
            }
            this.minBackoff = min;
            this.maxBackoff = max;
            return this;
        }

        public RevocationStreamClient build() {
            if (stream == null) throw new IllegalStateException("a server URL is required");
            return new RevocationStreamClient(this);
        }
    }
}
