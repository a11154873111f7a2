package dev.writ.server.gateway;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.FutureCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET /v1/revocations/stream}: server-sent events that push every revocation to connected PEPs.
 *
 * <p>Protocol (see {@code docs/gateway.md}): every event's id is {@code <epoch>.<seq>}; the subscriber names its
 * cursor with {@code Last-Event-ID} (or {@code ?since=N}); the handler first replays every event after the cursor (all
 * of them without one, when the cursor's epoch is not this feed's, or when the cursor is ahead of this server's
 * sequence), then sends {@code event: synced}, then live {@code event: revocation}s
 * as they happen and an {@code event: heartbeat} whenever it has been quiet for the heartbeat interval, so a
 * subscriber can tell a quiet stream from a dead one.
 */
public final class RevocationStreamHandler extends Handler.Abstract {
    /** The path this handler serves. */
    public static final String PATH = "/v1/revocations/stream";

    private static final Logger LOG = LoggerFactory.getLogger(RevocationStreamHandler.class);
    private static final RevocationEvent CLOSE = new RevocationEvent(
            Long.MAX_VALUE,
            new javax.security.auth.x500.X500Principal("CN=close"),
            java.math.BigInteger.ONE,
            "",
            java.time.Instant.EPOCH);

    private final RevocationFeed feed;
    private final long heartbeatMillis;
    private final BooleanSupplier upToDate;
    private final Set<LinkedBlockingQueue<RevocationEvent>> sessions = ConcurrentHashMap.newKeySet();

    /**
     * @param heartbeat how often a quiet stream sends a heartbeat; subscribers' staleness bound must exceed it
     */
    public RevocationStreamHandler(RevocationFeed feed, Duration heartbeat) {
        this(feed, heartbeat, () -> true);
    }

    /**
     * A stream that vouches for its feed only while {@code upToDate} holds (for example while a multi-node server's
     * revocation relay is connected): otherwise a new subscriber is answered 503 {@code revocations.unavailable} and a
     * connected one is disconnected within a heartbeat interval, so PEPs go stale and fail closed instead of trusting a set
     * that may be missing other nodes' revocations. {@code upToDate} is called once per heartbeat or event per
     * subscriber: it must be cheap and must not block.
     */
    public RevocationStreamHandler(RevocationFeed feed, Duration heartbeat, BooleanSupplier upToDate) {
        super(InvocationType.BLOCKING);
        this.feed = Objects.requireNonNull(feed, "feed");
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat must be positive");
        }
        this.heartbeatMillis = heartbeat.toMillis();
        this.upToDate = Objects.requireNonNull(upToDate, "upToDate");
    }

    /** With a 2 s heartbeat. */
    public RevocationStreamHandler(RevocationFeed feed) {
        this(feed, Duration.ofSeconds(2));
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!PATH.equals(Request.getPathInContext(request))) {
            return false;
        }
        if (!HttpMethod.GET.is(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET");
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
            return true;
        }
        long cursor;
        try {
            cursor = cursor(request, feed.epoch());
        } catch (NumberFormatException e) {
            response.setStatus(400);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(
                    true,
                    ByteBuffer.wrap(("{\"error\":{\"code\":\"revocations.cursor\","
                                    + "\"message\":\"the cursor must be <epoch>.<seq> or a non-negative integer\"}}")
                            .getBytes(StandardCharsets.UTF_8)),
                    callback);
            return true;
        }
        // A feed that may be missing revocations must not look complete to a PEP.
        if (!upToDate.getAsBoolean()) {
            response.setStatus(503);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            response.write(
                    true,
                    ByteBuffer.wrap(("{\"error\":{\"code\":\"revocations.unavailable\","
                                    + "\"message\":\"the revocation feed is not up to date\"}}")
                            .getBytes(StandardCharsets.UTF_8)),
                    callback);
            return true;
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream;charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Thread.ofVirtual().name("writ-revocation-stream").start(() -> stream(cursor, response, callback));
        return true;
    }

    /** The position to replay after; 0 (everything) for a cursor of another epoch. */
    static long cursor(Request request, String epoch) {
        String last = request.getHeaders().get("Last-Event-ID");
        if (last == null) {
            Fields.Field since = Request.extractQueryParameters(request).get("since");
            last = since == null ? null : since.getValue();
        }
        if (last == null || last.isBlank()) {
            return 0;
        }
        last = last.trim();
        int dot = last.indexOf('.');
        if (dot >= 0) {
            String theirs = last.substring(0, dot);
            long c = Long.parseLong(last.substring(dot + 1));
            if (c < 0 || !theirs.matches("[A-Za-z0-9-]{1,64}")) {
                throw new NumberFormatException("malformed cursor");
            }
            // Another server's (or an earlier run's) numbering says nothing about ours: send everything again.
            return theirs.equals(epoch) ? c : 0;
        }
        long c = Long.parseLong(last);
        if (c < 0) {
            throw new NumberFormatException("negative cursor");
        }
        return c;
    }

    private void stream(long cursor, Response response, Callback callback) {
        LinkedBlockingQueue<RevocationEvent> queue = new LinkedBlockingQueue<>();
        sessions.add(queue);
        try (AutoCloseable ignored = feed.subscribe(queue::add)) {
            // A cursor ahead of our sequence means the subscriber knew another history: give it everything.
            long from = cursor > feed.latest() ? 0 : cursor;
            long sent = from;
            StringBuilder out = new StringBuilder("retry: 1000\n\n");
            for (RevocationEvent e : feed.since(from)) {
                append(out, e);
                sent = e.seq();
            }
            out.append("event: synced\ndata: {\"cursor\":")
                    .append(sent)
                    .append(",\"epoch\":\"")
                    .append(feed.epoch())
                    .append("\"}\n\n");
            write(response, out);
            while (true) {
                RevocationEvent e = queue.poll(heartbeatMillis, TimeUnit.MILLISECONDS);
                if (e == CLOSE) {
                    break;
                }
                if (!upToDate.getAsBoolean()) {
                    break; // no more heartbeats: the subscriber reconnects (with its cursor), is refused, goes stale
                }
                out.setLength(0);
                if (e == null) {
                    out.append("event: heartbeat\ndata: {\"cursor\":")
                            .append(sent)
                            .append("}\n\n");
                } else if (e.seq() > sent) {
                    append(out, e);
                    sent = e.seq();
                } else {
                    continue; // already part of the replay
                }
                write(response, out);
            }
            callback.succeeded();
        } catch (Exception e) {
            // The subscriber went away (or we are stopping); it reconnects with its cursor.
            LOG.debug("revocation stream closed: {}", e.toString());
            callback.failed(e);
        } finally {
            sessions.remove(queue);
        }
    }

    private void append(StringBuilder out, RevocationEvent e) {
        out.append("id: ")
                .append(feed.epoch())
                .append('.')
                .append(e.seq())
                .append("\nevent: revocation\ndata: ")
                .append(e.toJson())
                .append("\n\n");
    }

    private static void write(Response response, CharSequence text) throws Exception {
        FutureCallback done = new FutureCallback();
        response.write(false, ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)), done);
        done.get(30, TimeUnit.SECONDS);
    }

    /** The number of connected subscribers. */
    public int subscribers() {
        return sessions.size();
    }

    @Override
    protected void doStop() throws Exception {
        for (LinkedBlockingQueue<RevocationEvent> q : sessions) {
            q.add(CLOSE);
        }
        super.doStop();
    }
}
